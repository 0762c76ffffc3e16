"""The rule file format (docs/detections.md, "Rule file format"), validated by pydantic.

Every model forbids unknown keys, so a misspelt key in a user's rule file is refused by name.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from otel_auth0.config.base import Duration

Scalar = str | int | float | bool
Severity = Literal["info", "warn", "error", "fatal"]
# OpenTelemetry SeverityNumber of each rule severity.
SEVERITY_NUMBERS: dict[str, int] = {"info": 9, "warn": 13, "error": 17, "fatal": 21}
RULE_ID_PATTERN = r"^[a-z][a-z0-9_]{1,62}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _condition(value: object) -> object:
    """A bare scalar means ``equals``, a bare list means ``in``."""
    if isinstance(value, list):
        return {"in": value}
    if not isinstance(value, dict):
        return {"equals": value}
    return value


class FieldCondition(_Strict):
    """Conditions on one event field (all given ones must hold)."""

    @model_validator(mode="after")
    def _pattern_compiles(self) -> FieldCondition:
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as error:
                raise ValueError(f"matches: not a regular expression: {error}") from None
        return self

    equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    not_in: list[Scalar] | None = None
    contains: str | None = None
    not_contains: str | None = None
    prefix: str | None = None
    matches: str | None = None
    exists: bool | None = None
    empty: bool | None = None
    gte: float | None = None
    lte: float | None = None


Condition = Annotated[FieldCondition, BeforeValidator(_condition)]


class Match(_Strict):
    """Which events a rule looks at; every given key must hold."""

    source: Literal["auth0_logs", "login_probe", "notices", "event_streams"] = "auth0_logs"
    type: list[str] | None = None
    category: list[str] | None = None
    outcome: list[Literal["success", "failure", "unknown"]] | None = None
    fields: dict[str, Condition] = Field(default_factory=dict)
    any_of: list[dict[str, Condition]] | None = None


class Threshold(_Strict):
    """Fire when ``count`` matching events (or distinct values of ``distinct``) fall in ``window``."""

    count: int = Field(ge=1)
    window: Duration
    group_by: list[str] = Field(default_factory=list)
    distinct: str | None = None


class Baseline(_Strict):
    """Fire when the count in ``window`` is ``factor`` times what the trailing ``period`` predicts."""

    window: Duration
    period: Duration
    factor: float = Field(gt=1)
    min_count: int = Field(ge=1)
    group_by: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _period_longer(self) -> Baseline:
        if self.period < 2 * self.window:
            raise ValueError("period: must be at least twice the window")
        return self


class Absence(_Strict):
    """Fire when a group that had ``min_events`` in the trailing ``history`` is silent for ``after``."""

    after: Duration
    history: Duration = 3600.0
    min_events: int = Field(default=100, ge=1)
    group_by: list[str] = Field(default_factory=list)


class Escalate(_Strict):
    """After the rule fired for a group, an event matching ``match`` (a successful login) that shares
    one of the ``same`` fields' values with the group's events re-reports it at ``severity``."""

    severity: Severity
    match: Match
    same: list[str] = Field(min_length=1)
    within: Duration = 3600.0


class BurnWindow(_Strict):
    """One alerting window pair of a burn-rate rule: both error ratios above ``factor`` x budget."""

    long: Duration
    short: Duration
    factor: float = Field(gt=0)


class BurnRate(_Strict):
    """Fire when, for one of ``windows``, the share of ``bad`` events over the long and the short
    window both burn the error budget (1 - ``objective``) at least ``factor`` times as fast as
    allowed (the SRE workbook's multi-window, multi-burn-rate alerts)."""

    objective: float = Field(gt=0, lt=1)
    bad: dict[str, Condition]
    windows: list[BurnWindow] = Field(min_length=1)
    min_events: int = Field(default=1, ge=1)
    group_by: list[str] = Field(default_factory=list)


class Rule(_Strict):
    """One detection rule."""

    id: str = Field(pattern=RULE_ID_PATTERN)
    title: str = Field(min_length=1)
    severity: Severity
    description: str = Field(min_length=1)
    runbook: str = Field(min_length=1)
    match: Match
    threshold: Threshold | None = None
    baseline: Baseline | None = None
    absence: Absence | None = None
    burn_rate: BurnRate | None = None
    group_by: list[str] = Field(default_factory=list)
    dedupe: Duration = 3600.0
    escalate: Escalate | None = None
    report: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_kind(self) -> Rule:
        kinds = [
            kind for kind in (self.threshold, self.baseline, self.absence, self.burn_rate) if kind is not None
        ]
        if len(kinds) > 1:
            raise ValueError("give at most one of threshold, baseline, absence and burn_rate")
        if self.escalate is not None and self.threshold is None:
            raise ValueError("escalate: only for threshold rules")
        return self

    @property
    def groups(self) -> list[str]:
        """The fields detections are grouped (and deduplicated) by."""
        kind = self.threshold or self.baseline or self.absence or self.burn_rate
        return kind.group_by if kind is not None else self.group_by

    @property
    def severity_number(self) -> int:
        """OpenTelemetry ``SeverityNumber``."""
        return SEVERITY_NUMBERS[self.severity]


class RuleFile(_Strict):
    """A rule file: ``rules:`` and a list of rules."""

    rules: list[Rule]
