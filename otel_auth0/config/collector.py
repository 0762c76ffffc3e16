"""The collector's sections (tenant, receivers, processors, exporters, queue, telemetry) and the file."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    field_validator,
    model_validator,
)

from otel_auth0.config.base import Duration, _Section
from otel_auth0.config.readiness import ReadinessConfig
from otel_auth0.convert.redactable import unknown_fields


class Auth0Config(_Section):
    """How to reach the tenant."""

    domain: str = Field(min_length=1)
    tenant: str | None = Field(default=None, min_length=1)
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
    def tenant_name(self) -> str | None:
        """The tenant's name as Auth0 writes it in ``tenant_name``: ``tenant`` when set (configured or
        read from the tenant at start), else the first label of a canonical ``*.auth0.com`` domain;
        None for a custom domain or an address, whose labels say nothing about the tenant."""
        if self.tenant:
            return self.tenant
        host = self.domain.rsplit(":", 1)[0] if self.domain.count(":") == 1 else self.domain
        if host.lower().endswith(".auth0.com") and host.count(".") >= 2:
            return host.split(".", 1)[0]
        return None


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
    header_timeout: Duration = 10.0
    body_timeout: Duration = 30.0
    max_connections: int = Field(default=512, ge=8)
    max_in_flight_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)

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
    """Auth0 changelog, outbound IP-range, security-bulletin and SDK-advisory watcher."""

    interval: Duration = 3600.0
    changelog_url: str | None = None
    ip_ranges_url: str | None = None
    region: str = "US"
    security_bulletins: bool = True
    security_bulletins_url: str | None = None
    sdks: list[str] = Field(default_factory=list)
    sdk_advisories_url: str | None = None

    @field_validator("sdks")
    @classmethod
    def _github_repos(cls, value: list[str]) -> list[str]:
        bad = [sdk for sdk in value if not re.fullmatch(r"[\w.-]+/[\w.-]+", sdk)]
        if bad:
            raise ValueError(f"give GitHub owner/repo names (auth0/nextjs-auth0), not {', '.join(bad)}")
        return value

    @field_validator("sdk_advisories_url")
    @classmethod
    def _sdk_placeholder(cls, value: str | None) -> str | None:
        if value is not None and "{sdk}" not in value:
            raise ValueError("must contain {sdk} (replaced by owner/repo)")
        return value


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
    # About 2.5 GB of queue file, the documented disk budget for the default max_items (docs/operations.md).
    max_bytes: int = Field(default=2 * 1024**3, ge=1024 * 1024)
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


class HealthConfig(_Section):
    """When ``/readyz`` answers 503."""

    exporter_failing_for: Duration = 300.0
    queue_high_water: float = Field(default=0.8, gt=0, le=1)
    receiver_stale_after: Duration = 900.0


def _listen_address(value: str | None) -> str | None:
    if value is None:
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("must be HOST:PORT, e.g. 127.0.0.1:9464 (or null to turn the server off)")
    return value


class TelemetryConfig(_Section):
    """What is derived from events besides log records, and how the collector shows its own health."""

    spans: Literal["transactions", "all", "none"] = "transactions"
    metrics_interval: Duration = 10.0
    metric_dimensions: list[Literal["connection", "client"]] = Field(default_factory=list)
    max_attribute_length: int = Field(default=4096, ge=64)
    cardinality_limit: int = Field(default=200, ge=1)
    listen: Annotated[str | None, AfterValidator(_listen_address)] = "127.0.0.1:9464"
    health: HealthConfig = Field(default_factory=HealthConfig)


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
