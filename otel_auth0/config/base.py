"""What every configuration section shares: the error type, durations, the strict base model."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
)

_DURATION_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a configuration: the dotted key (empty for the whole file) and why."""

    key: str
    message: str


class ConfigError(Exception):
    """A configuration problem; ``str()`` names the key and what is wrong, ``problems`` lists each."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else [Problem("", message)]


def parse_duration(value: object) -> float:
    """Parse ``10s``, ``500ms``, ``5m``, ``2h``, ``7d`` or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 10s, 5m or 2h")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION_PATTERN.match(str(value))
        if not match:
            raise ValueError("not a duration; use e.g. 500ms, 10s, 5m, 2h, 7d")
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def present_means_on(data: object) -> object:
    """``logs_api:`` with no value (YAML null) still switches the component on with defaults."""
    if isinstance(data, dict):
        return {key: ({} if value is None else value) for key, value in data.items()}
    return data
