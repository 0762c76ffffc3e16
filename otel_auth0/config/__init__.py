"""Configuration: one YAML file with ``${VAR}`` / ``${env:VAR}`` substitution, validated by pydantic.

``base`` (errors, durations), ``collector`` (the collector's sections and the whole file), ``readiness``
(the readiness suite's section), ``loader`` (reading, substitution, error messages).
"""

from otel_auth0.config.base import (
    ConfigError,
    Duration,
    Problem,
    parse_duration,
)
from otel_auth0.config.collector import (
    Auth0Config,
    Config,
    DedupeConfig,
    DetectionsConfig,
    EndpointCheckConfig,
    ExportersConfig,
    FileExporterConfig,
    HealthConfig,
    LoginProbeConfig,
    LogsApiConfig,
    LogStreamConfig,
    NoticesConfig,
    OtlpExporterConfig,
    ProcessorsConfig,
    QueueConfig,
    ReceiversConfig,
    RedactConfig,
    StatusConfig,
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

__all__ = [
    "AUTH0_ENVIRONMENT",
    "Auth0Config",
    "Config",
    "ConfigError",
    "DedupeConfig",
    "DetectionsConfig",
    "Duration",
    "EndpointCheckConfig",
    "ExportersConfig",
    "FileExporterConfig",
    "HealthConfig",
    "InboundTargetConfig",
    "LogStreamConfig",
    "LoginProbeConfig",
    "LogsApiConfig",
    "NoticesConfig",
    "OtlpExporterConfig",
    "Problem",
    "ProcessorsConfig",
    "QueueConfig",
    "ReadinessConfig",
    "ReadinessSmtpConfig",
    "ReadinessThresholds",
    "ReceiversConfig",
    "RedactConfig",
    "StatusConfig",
    "TelemetryConfig",
    "fill_auth0_from_env",
    "key_lines",
    "load_config",
    "parse_config",
    "parse_duration",
    "substitute_env",
]
