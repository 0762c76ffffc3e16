"""The collector's sections (processors, exporters, queue, telemetry) and the whole file; the tenant
section is in :mod:`otel_auth0.config.auth0`, ``receivers:`` in :mod:`otel_auth0.config.receivers`.

Two checks need the collector's components, which this package does not import: the redactable
attribute names and the detection rule loader. Validation finds them in the validation context
(:class:`~otel_auth0.config.components.Components`); a section built in code, without that context,
is not checked against them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from otel_auth0.config.auth0 import Auth0Config
from otel_auth0.config.base import Duration, _Section, present_means_on
from otel_auth0.config.readiness import ReadinessConfig
from otel_auth0.config.receivers import ReceiversConfig
from otel_auth0.config.state import StateConfig

# The entries of ``processors.redact.fields`` that name no redactable attribute.
UnknownFields = Callable[[Iterable[str]], list[str]]
# Why rule files (with or without the default rules, some ids disabled) cannot be loaded, or ``None``.
RulesProblem = Callable[[Sequence[Path], bool, Sequence[str]], str | None]
UNKNOWN_FIELDS_CONTEXT = "unknown_redact_fields"
RULES_PROBLEM_CONTEXT = "rules_problem"


def _in_context(info: ValidationInfo, key: str) -> object:
    """What the validation context holds at ``key`` (``None`` without a context)."""
    return info.context.get(key) if isinstance(info.context, Mapping) else None


class OtlpExporterConfig(_Section):
    """OTLP exporter; unset keys fall back to the standard ``OTEL_EXPORTER_OTLP_*`` variables."""

    endpoint: str | None = None
    protocol: Literal["grpc", "http/protobuf"] | None = None
    headers: dict[str, str] | None = None
    insecure: bool | None = None
    compression: Literal["gzip", "none", "deflate"] | None = None
    timeout: Duration | None = None
    certificate: Path | None = None
    max_retry_wait: Duration = Field(default=300.0, gt=0)


class FileExporterConfig(_Section):
    """OTLP-JSON lines file."""

    path: Path = Path("otel-auth0-telemetry.jsonl")


class ExportersConfig(_Section):
    """Several may be on at once; with none configured the file exporter is used."""

    _present = model_validator(mode="before")(present_means_on)

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
    def _known_fields(cls, value: list[str], info: ValidationInfo) -> list[str]:
        unknown_fields = _in_context(info, UNKNOWN_FIELDS_CONTEXT)
        unknown = unknown_fields(value) if callable(unknown_fields) else []
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
    def _rules_load(self, info: ValidationInfo) -> DetectionsConfig:
        rules_problem = _in_context(info, RULES_PROBLEM_CONTEXT)
        problem = (
            rules_problem(self.rules_files, self.default_rules, self.disabled_rules)
            if callable(rules_problem)
            else None
        )
        if problem is not None:
            raise ValueError(problem)
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
    max_connections: int = Field(default=64, ge=8)
    header_timeout: Duration = 10.0
    health: HealthConfig = Field(default_factory=HealthConfig)


TENANT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"


class TenantConfig(_Section):
    """One entry of ``tenants:``: a tenant with its own ``auth0:`` section and receivers, sharing the
    file's state, exporters, queue and telemetry (:mod:`otel_auth0.config.tenants`)."""

    name: str = Field(pattern=TENANT_NAME_PATTERN)
    auth0: Auth0Config | None = None
    receivers: ReceiversConfig = Field(default_factory=ReceiversConfig)
    service_name: str | None = None
    resource_attributes: dict[str, str] = Field(default_factory=dict)
    detections: DetectionsConfig | None = None


class Config(_Section):
    """The whole configuration file."""

    auth0: Auth0Config | None = None
    state_dir: Path = Path(".otel-auth0")
    state: StateConfig = Field(default_factory=StateConfig)
    service_name: str = "auth0"
    receivers: ReceiversConfig = Field(default_factory=ReceiversConfig)
    processors: ProcessorsConfig = Field(default_factory=ProcessorsConfig)
    exporters: ExportersConfig = Field(default_factory=ExportersConfig)
    queue: QueueConfig = Field(default_factory=QueueConfig)
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)
    readiness: ReadinessConfig | None = None
    tenants: list[TenantConfig] | None = None

    @model_validator(mode="after")
    def _default_exporter(self) -> Config:
        if self.exporters.otlp is None and self.exporters.file is None:
            self.exporters.file = FileExporterConfig()
        return self

    @model_validator(mode="after")
    def _tenant_for_receivers(self) -> Config:
        for name, settings in self.receivers.items():
            problem = settings.tenant_problem(name, self.auth0)
            if problem is not None:
                raise ValueError(problem)
        return self
