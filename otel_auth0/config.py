"""Configuration: one YAML file with ``${VAR}`` / ``${VAR:-default}`` substitution, validated by pydantic.

Every error names the offending key (``receivers.logs_api.take``) and the problem; the CLI turns a
:class:`ConfigError` into exit code 2.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_DURATION_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


class ConfigError(Exception):
    """A configuration problem; ``str()`` names the key and what is wrong."""


def parse_duration(value: object) -> float:
    """Parse ``10s``, ``500ms``, ``5m``, ``2h``, ``7d`` or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 10s, 5m or 2h")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION_PATTERN.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration; use e.g. 500ms, 10s, 5m, 2h, 7d")
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Auth0Config(_Section):
    """How to reach the tenant."""

    domain: str = Field(min_length=1)
    client_id: str | None = None
    client_secret: str | None = None
    scheme: Literal["https", "http"] = "https"
    ca_file: Path | None = None
    timeout: Duration = 30.0

    @field_validator("domain")
    @classmethod
    def _bare_domain(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if "://" in value:
            raise ValueError("give the bare domain (tenant.us.auth0.com), without scheme; set `scheme` instead")
        return value

    @field_validator("ca_file")
    @classmethod
    def _ca_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"CA file {value} does not exist")
        return value

    @property
    def base_url(self) -> str:
        """``https://tenant.us.auth0.com``."""
        return f"{self.scheme}://{self.domain}"

    @property
    def tenant_name(self) -> str:
        """The tenant's name as Auth0 writes it in ``tenant_name`` (first DNS label)."""
        return self.domain.split(".", 1)[0].split(":", 1)[0]


class LogsApiConfig(_Section):
    """Checkpoint-mode poller of ``GET /api/v2/logs``."""

    interval: Duration = 10.0
    take: int = Field(default=100, ge=1, le=100)
    start_from: str = "latest"
    max_backoff: Duration = 300.0
    gap_fill_after: Duration = 60.0

    @field_validator("start_from")
    @classmethod
    def _start_from(cls, value: str) -> str:
        if value in ("latest", "oldest"):
            return value
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError("must be latest, oldest or an ISO-8601 instant such as 2026-01-31T00:00:00Z") from exc
        return value


class LogStreamConfig(_Section):
    """Auth0 custom-webhook Log Stream receiver."""

    listen: str = "127.0.0.1:8383"
    path: str = "/auth0/logs"
    token: str | None = None
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    retry_after: Duration = 10.0

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError("must be HOST:PORT, e.g. 0.0.0.0:8383")
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with /")
        return value


class LoginProbeConfig(_Section):
    """Synthetic password-grant login."""

    interval: Duration = 60.0
    client_id: str | None = None
    client_secret: str | None = None
    username: str | None = None
    password: str | None = None
    realm: str | None = None
    audience: str | None = None
    scope: str = "openid profile email"
    userinfo: bool = False


class StatusConfig(_Section):
    """Auth0 status feed watcher."""

    interval: Duration = 300.0
    url: str | None = None


class NoticesConfig(_Section):
    """Auth0 changelog and outbound IP-range watcher."""

    interval: Duration = 3600.0
    changelog_url: str | None = None
    ip_ranges_url: str | None = None
    region: str = "US"


def _present_means_on(data: object) -> object:
    """``logs_api:`` with no value (YAML null) still switches the component on with defaults."""
    if isinstance(data, dict):
        return {key: ({} if value is None else value) for key, value in data.items()}
    return data


class ReceiversConfig(_Section):
    """A receiver is on when its key is present."""

    _present = model_validator(mode="before")(_present_means_on)

    logs_api: LogsApiConfig | None = None
    log_stream: LogStreamConfig | None = None
    login_probe: LoginProbeConfig | None = None
    status: StatusConfig | None = None
    notices: NoticesConfig | None = None


class OtlpExporterConfig(_Section):
    """OTLP exporter; unset keys fall back to the standard ``OTEL_EXPORTER_OTLP_*`` variables."""

    endpoint: str | None = None
    protocol: Literal["grpc", "http/protobuf"] | None = None
    headers: dict[str, str] | None = None
    insecure: bool | None = None
    compression: Literal["gzip", "none", "deflate"] | None = None
    timeout: Duration | None = None
    certificate: Path | None = None


class FileExporterConfig(_Section):
    """OTLP-JSON lines file."""

    path: Path = Path("otel-auth0-telemetry.jsonl")


class ExportersConfig(_Section):
    """Several may be on at once; with none configured the file exporter is used."""

    _present = model_validator(mode="before")(_present_means_on)

    otlp: OtlpExporterConfig | None = None
    file: FileExporterConfig | None = None


class QueueConfig(_Section):
    """The persistent queue between receivers and exporters."""

    max_items: int = Field(default=2_000_000, ge=1)
    max_age: Duration = 7 * 86400.0
    full_policy: Literal["refuse", "drop_oldest"] = "refuse"
    batch_size: int = Field(default=512, ge=1, le=10_000)
    max_backoff: Duration = 60.0
    shutdown_deadline: Duration = 10.0


class DedupeConfig(_Section):
    """Remember emitted log_ids so Auth0 redeliveries and source overlap are emitted once."""

    window: Duration = 7 * 86400.0
    max_ids: int = Field(default=5_000_000, ge=1)


class RedactConfig(_Section):
    """PII redaction before any exporter."""

    fields: list[str] = Field(default_factory=list)
    method: Literal["hash", "mask", "drop"] = "hash"
    salt: str | None = None

    @model_validator(mode="after")
    def _salt_for_hash(self) -> RedactConfig:
        if self.method == "hash" and self.fields and not self.salt:
            raise ValueError("salt: required when method is hash (a secret key for the HMAC)")
        return self


class ProcessorsConfig(_Section):
    """Processing between conversion and the queue."""

    dedupe: DedupeConfig = Field(default_factory=DedupeConfig)
    redact: RedactConfig | None = None


class TelemetryConfig(_Section):
    """What is derived from events besides log records."""

    spans: Literal["transactions", "all", "none"] = "transactions"
    metrics_interval: Duration = 10.0
    metric_dimensions: list[Literal["connection", "client"]] = Field(default_factory=list)
    max_attribute_length: int = Field(default=4096, ge=64)
    cardinality_limit: int = Field(default=200, ge=1)


class Config(_Section):
    """The whole configuration file."""

    auth0: Auth0Config | None = None
    state_dir: Path = Path(".otel-auth0")
    service_name: str = "auth0"
    receivers: ReceiversConfig = Field(default_factory=ReceiversConfig)
    processors: ProcessorsConfig = Field(default_factory=ProcessorsConfig)
    exporters: ExportersConfig = Field(default_factory=ExportersConfig)
    queue: QueueConfig = Field(default_factory=QueueConfig)
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)
    readiness: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _default_exporter(self) -> Config:
        if self.exporters.otlp is None and self.exporters.file is None:
            self.exporters.file = FileExporterConfig()
        return self

    @model_validator(mode="after")
    def _tenant_for_receivers(self) -> Config:
        needs_tenant = [
            name for name in ("logs_api", "login_probe", "status") if getattr(self.receivers, name) is not None
        ]
        if needs_tenant and self.auth0 is None:
            raise ValueError(f"auth0: required when receivers.{needs_tenant[0]} is on")
        if self.receivers.logs_api is not None and self.auth0 is not None:
            for key in ("client_id", "client_secret"):
                if not getattr(self.auth0, key):
                    raise ValueError(
                        f"auth0.{key}: required by receivers.logs_api (a machine-to-machine app with read:logs)"
                    )
        return self


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


def _substitute_tree(node: object, environ: dict[str, str] | None, key: str = "") -> object:
    """Apply :func:`substitute_env` to every string value (comments are never expanded)."""
    if isinstance(node, str):
        return substitute_env(node, environ, key)
    if isinstance(node, dict):
        return {k: _substitute_tree(v, environ, f"{key}.{k}" if key else str(k)) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute_tree(v, environ, f"{key}.{i}") for i, v in enumerate(node)]
    return node


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
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    return parse_config(_substitute_tree(data, environ))
