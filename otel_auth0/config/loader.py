"""Configuration: one YAML file with ``${VAR}`` / ``${VAR:-default}`` substitution, validated by pydantic.

Every error names the offending key (``receivers.logs_api.take``) and the problem; the CLI turns a
:class:`ConfigError` into exit code 2.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml
from pydantic import (
    ValidationError,
)

from otel_auth0.config.base import ConfigError
from otel_auth0.config.collector import Config

_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def substitute_env(text: str, environ: dict[str, str] | None = None, key: str = "") -> str:
    """Replace ``${VAR}`` and ``${VAR:-default}``; an unset variable without default is an error."""
    env = os.environ if environ is None else environ
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                missing.append(name)
                return ""
            return default
        return value

    result = _ENV_PATTERN.sub(replace, text)
    if missing:
        where = f"{key}: " if key else ""
        raise ConfigError(
            f"{where}environment variable {missing[0]} is not set (used as ${{{missing[0]}}}); "
            f"set it or write ${{{missing[0]}:-default}}"
        )
    return result


_PLACEHOLDER = "__otel_auth0_env_{}__"
_PLACEHOLDER_PATTERN = re.compile(r"__otel_auth0_env_(\d+)__")


def _resolve_placeholders(
    node: object, references: list[str], environ: dict[str, str] | None, key: str
) -> object:
    """Put the substituted values into string values of the parsed tree (comments never count)."""
    if isinstance(node, str):
        return _PLACEHOLDER_PATTERN.sub(
            lambda match: substitute_env(references[int(match.group(1))], environ, key), node
        )
    if isinstance(node, dict):
        return {
            k: _resolve_placeholders(v, references, environ, f"{key}.{k}" if key else str(k))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_resolve_placeholders(v, references, environ, f"{key}.{i}") for i, v in enumerate(node)]
    return node


def _parse_yaml_with_env(text: str, environ: dict[str, str] | None) -> object:
    """Parse YAML where ``${VAR}`` may stand anywhere a value does, even inside ``{flow: mappings}``.

    References are swapped for YAML-safe placeholders before parsing and resolved afterwards, so a
    value containing ``:`` or ``#`` (a password) cannot change the document's structure."""
    references: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        references.append(match.group(0))
        return _PLACEHOLDER.format(len(references) - 1)

    data = yaml.safe_load(_ENV_PATTERN.sub(placeholder, text))
    return _resolve_placeholders(data, references, environ, "")


def _format_validation_error(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see docs/configuration.md)"
        elif item["type"] == "missing":
            message = "required key is missing"
        # Model-level checks already start their message with the key they are about.
        lines.append(f"{key}: {message}" if key else message)
    return "; ".join(lines)


def parse_config(data: object) -> Config:
    """Validate an already-loaded mapping."""
    if not isinstance(data, dict):
        raise ConfigError("(top level): the configuration must be a mapping of keys to values")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc)) from None


def load_config(path: Path | str, environ: dict[str, str] | None = None) -> Config:
    """Read, substitute and validate a YAML configuration file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror or exc}") from None
    try:
        data = _parse_yaml_with_env(text, environ)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    return parse_config(data)
