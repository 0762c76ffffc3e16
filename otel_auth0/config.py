"""Configuration: one YAML file with ``${VAR}`` / ``${VAR:-default}`` substitution, validated by pydantic.

Every error names the offending key (``receivers.logs_api.take``) and the problem; the CLI turns a
:class:`ConfigError` into exit code 2.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

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
            raise ValueError(
                "give the bare domain (tenant.us.auth0.com), without scheme; set `scheme` instead"
            )
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
            raise ValueError(
                "must be latest, oldest or an ISO-8601 instant such as 2026-01-31T00:00:00Z"
            ) from exc
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
    max_credential_failures: int = Field(default=3, ge=1, le=9)
    credential_failure_cooldown: Duration = 3600.0
    leeway: Duration = 60.0

    @model_validator(mode="after")
    def _credentials(self) -> LoginProbeConfig:
        missing = [key for key in ("client_id", "username", "password") if not getattr(self, key)]
        if missing:
            raise ValueError(f"{', '.join(missing)}: required (the probe logs in with them)")
        return self


class EndpointCheckConfig(_Section):
    """Auth0's monitoring endpoints ``/testall`` and ``/test``."""

    interval: Duration = 60.0
    paths: list[str] = Field(default_factory=lambda: ["/testall", "/test"], min_length=1)

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        if not all(path.startswith("/") for path in value):
            raise ValueError("every path must start with /")
        return value


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
    endpoint_check: EndpointCheckConfig | None = None
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

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        from otel_auth0.processors.redactable import unknown_fields

        unknown = unknown_fields(value)
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)}: not a redactable attribute name; use names from docs/telemetry.md "
                "(e.g. user.email, user.name, user.id, enduser.id, client.address, geo.*)"
            )
        return value

    @model_validator(mode="after")
    def _salt_for_hash(self) -> RedactConfig:
        if self.method == "hash" and self.fields and not self.salt:
            raise ValueError("salt: required when method is hash (a secret key for the HMAC)")
        return self


class DetectionsConfig(_Section):
    """Detection rules applied to every event before the queue (docs/detections.md)."""

    enabled: bool = True
    default_rules: bool = True
    rules_files: list[Path] = Field(default_factory=list)
    disabled_rules: list[str] = Field(default_factory=list)
    max_groups: int = Field(default=100_000, ge=1)
    max_log_ids: int = Field(default=20, ge=1, le=1000)
    save_interval: Duration = 5.0

    @model_validator(mode="after")
    def _rules_load(self) -> DetectionsConfig:
        from otel_auth0.detections.loader import RuleFileError, load_rules

        try:
            load_rules(self.rules_files, self.default_rules, self.disabled_rules)
        except RuleFileError as error:
            raise ValueError(str(error)) from None
        return self


class ProcessorsConfig(_Section):
    """Processing between conversion and the queue."""

    dedupe: DedupeConfig = Field(default_factory=DedupeConfig)
    redact: RedactConfig | None = None
    detections: DetectionsConfig = Field(default_factory=DetectionsConfig)


class TelemetryConfig(_Section):
    """What is derived from events besides log records."""

    spans: Literal["transactions", "all", "none"] = "transactions"
    metrics_interval: Duration = 10.0
    metric_dimensions: list[Literal["connection", "client"]] = Field(default_factory=list)
    max_attribute_length: int = Field(default=4096, ge=64)
    cardinality_limit: int = Field(default=200, ge=1)


class InboundTargetConfig(_Section):
    """A service Auth0 must reach (custom DB API, SMTP server, webhook / Log Stream receiver)."""

    name: str = Field(min_length=1)
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    tls: Literal["none", "tls", "starttls"] = "none"
    timeout: Duration = 5.0
    ca_file: Path | None = None


class ReadinessSmtpConfig(_Section):
    """The SMTP server the tenant's email provider uses; ``local: true`` starts a test mailbox instead."""

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    username: str | None = None
    password: str | None = None
    from_address: str | None = Field(default=None, alias="from")
    test_recipient: str | None = None
    test_user_id: str | None = None
    tls: Literal["starttls", "tls", "none"] = "starttls"
    ca_file: Path | None = None
    timeout: Duration = 10.0
    delivery_timeout: Duration = 15.0
    local: bool = False

    @model_validator(mode="after")
    def _host_unless_local(self) -> ReadinessSmtpConfig:
        if not self.local and not self.host:
            raise ValueError("host: required unless local is true (a test mailbox started by the suite)")
        return self


class ReadinessThresholds(_Section):
    """Limits the readiness gates and ``otel-auth0 scan`` compare against."""

    probe_p95_s: float = Field(default=2.0, gt=0)
    log_lag_s: float = Field(default=300.0, gt=0)
    rate_limit_window_h: float = Field(default=24.0, gt=0)
    rate_limit_events: int = Field(default=0, ge=0)
    rate_limit_headroom: float = Field(default=0.2, ge=0, le=1)
    auth_failures: int | None = Field(default=None, ge=0)
    management_failures: int | None = Field(default=None, ge=0)


class ReadinessConfig(_Section):
    """Production-readiness suite settings (``otel-auth0 readiness``, ``pytest features/``, ``scan``)."""

    region: str = "US"
    allowlist_file: Path | None = None
    ip_ranges_file: Path | None = None
    ip_ranges_refresh: bool = False
    inbound_targets: list[InboundTargetConfig] = Field(default_factory=list)
    smtp: ReadinessSmtpConfig | None = None
    attestations_file: Path | None = None
    max_age_days: int = Field(default=90, ge=1)
    thresholds: ReadinessThresholds = Field(default_factory=ReadinessThresholds)
    required_retention_days: int = Field(default=30, ge=1)
    plan_retention_days: int | None = Field(default=None, ge=1)
    required_email_templates: list[str] = Field(default_factory=lambda: ["verify_email", "reset_email"])
    external_idps: list[str] | None = None
    recommended_node_runtimes: list[str] = Field(default_factory=lambda: ["node22"])


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
    readiness: ReadinessConfig | None = None

    @model_validator(mode="after")
    def _default_exporter(self) -> Config:
        if self.exporters.otlp is None and self.exporters.file is None:
            self.exporters.file = FileExporterConfig()
        return self

    @model_validator(mode="after")
    def _tenant_for_receivers(self) -> Config:
        needs_tenant = [
            name
            for name in ("logs_api", "login_probe", "endpoint_check", "status")
            if getattr(self.receivers, name) is not None
        ]
        if needs_tenant and self.auth0 is None:
            raise ValueError(f"auth0: required when receivers.{needs_tenant[0]} is on")
        if self.receivers.logs_api is not None and self.auth0 is not None:
            for key in ("client_id", "client_secret"):
                if not getattr(self.auth0, key):
                    raise ValueError(
                        f"auth0.{key}: required by receivers.logs_api "
                        "(a machine-to-machine app with read:logs)"
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
