"""Configuration: one YAML file with ``${VAR}`` / ``${env:VAR}`` substitution, validated by pydantic.

``base`` (errors, durations), ``auth0`` (the tenant), ``receivers`` (``receivers:``, typed by the receiver
registry; each receiver's section lives beside the receiver), ``collector`` (the other collector sections
and the whole file), ``readiness`` (the readiness suite's section), ``components`` (what validation takes
from the collector's components), ``loader`` (reading, substitution, error messages).

This package imports no other part of the collector. To read the collector's configuration, call
:func:`otel_auth0.collector_config.load_config` (or ``parse_config``): it validates against the
collector's components.
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
from otel_auth0.config.components import Components
from otel_auth0.config.loader import (
    AUTH0_ENVIRONMENT,
    fill_auth0_from_env,
    key_lines,
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
    "Components",
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
    "parse_duration",
    "substitute_env",
]
