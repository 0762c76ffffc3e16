"""Configuration: one YAML file with ``${VAR}`` / ``${env:VAR}`` substitution, validated by pydantic.

``base`` (errors, durations), ``auth0`` (the tenant), ``receivers`` (``receivers:``, typed by the receiver
registry; each receiver's section lives beside the receiver), ``collector`` (the other collector sections
and the whole file), ``readiness`` (the readiness suite's section), ``loader`` (reading, substitution,
error messages).
"""

from otel_auth0.config.auth0 import Auth0Config
from otel_auth0.config.base import (
    ConfigError,
    Duration,
    Problem,
    parse_duration,
)
from otel_auth0.config.collector import (
    Config,
    DedupeConfig,
    DetectionsConfig,
    ExportersConfig,
    FileExporterConfig,
    HealthConfig,
    OtlpExporterConfig,
    ProcessorsConfig,
    QueueConfig,
    RedactConfig,
    TelemetryConfig,
)
from otel_auth0.config.loader import (
    AUTH0_ENVIRONMENT,
    fill_auth0_from_env,
    key_lines,
    load_config,
    parse_config,
    substitute_env,
)
from otel_auth0.config.readiness import (
    InboundTargetConfig,
    ReadinessConfig,
    ReadinessSmtpConfig,
    ReadinessThresholds,
)
from otel_auth0.config.receivers import ReceiversConfig, ReceiverSettings

__all__ = [
    "AUTH0_ENVIRONMENT",
    "Auth0Config",
    "Config",
    "ConfigError",
    "DedupeConfig",
    "DetectionsConfig",
    "Duration",
    "ExportersConfig",
    "FileExporterConfig",
    "HealthConfig",
    "InboundTargetConfig",
    "OtlpExporterConfig",
    "Problem",
    "ProcessorsConfig",
    "QueueConfig",
    "ReadinessConfig",
    "ReadinessSmtpConfig",
    "ReadinessThresholds",
    "ReceiverSettings",
    "ReceiversConfig",
    "RedactConfig",
    "TelemetryConfig",
    "fill_auth0_from_env",
    "key_lines",
    "load_config",
    "parse_config",
    "parse_duration",
    "substitute_env",
]
