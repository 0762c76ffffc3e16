"""OTLP over gRPC or HTTP/protobuf, built from the OpenTelemetry SDK exporters.

The SDK exporters resolve the standard ``OTEL_EXPORTER_OTLP_*`` variables (per-signal variants
included) and implement transport retries (``Retry-After``, gRPC ``RetryInfo``); keys set in the
configuration override the environment. Records arrive already encoded, so the SDK's own encoding
step is bypassed: HTTP posts the bytes through the exporter's client, gRPC hands the decoded request to
the exporter's retrying ``_export``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http import Compression as HttpCompression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.metrics.export import MetricExporter

from otel_auth0.config import OtlpExporterConfig
from otel_auth0.convert.wire import Signal
from otel_auth0.exporters.base import ExportOutcome, SignalExporter

log = logging.getLogger(__name__)

RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})
_SIGNAL_ENV = {Signal.LOGS: "LOGS", Signal.SPANS: "TRACES"}
_HTTP_PATHS = {Signal.LOGS: "v1/logs", Signal.SPANS: "v1/traces"}


class _PreEncodedGrpcLogs(GrpcLogExporter):
    def _translate_data(self, data: Any) -> ExportLogsServiceRequest:
        request: ExportLogsServiceRequest = data
        return request

    def _count_data(self, data: Any) -> int:
        return sum(len(scope.log_records) for resource in data.resource_logs for scope in resource.scope_logs)


class _PreEncodedGrpcSpans(GrpcSpanExporter):
    def _translate_data(self, data: Any) -> ExportTraceServiceRequest:
        request: ExportTraceServiceRequest = data
        return request

    def _count_data(self, data: Any) -> int:
        return sum(len(scope.spans) for resource in data.resource_spans for scope in resource.scope_spans)


def resolve_protocol(config: OtlpExporterConfig, signal_env: str | None = None) -> str:
    """Configured protocol, else ``OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL``, ``OTEL_EXPORTER_OTLP_PROTOCOL``,
    else ``http/protobuf`` (the OTLP specification's default)."""
    if config.protocol:
        return config.protocol
    for name in ([f"OTEL_EXPORTER_OTLP_{signal_env}_PROTOCOL"] if signal_env else []) + [
        "OTEL_EXPORTER_OTLP_PROTOCOL"
    ]:
        value = os.environ.get(name, "").strip()
        if value:
            if value not in ("grpc", "http/protobuf"):
                raise ValueError(f"{name}={value!r}: supported protocols are grpc and http/protobuf")
            return value
    return "http/protobuf"


def _http_endpoint(base: str | None, path: str) -> str | None:
    return None if base is None else base.rstrip("/") + "/" + path


def _http_kwargs(config: OtlpExporterConfig) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if config.headers is not None:
        kwargs["headers"] = dict(config.headers)
    if config.timeout is not None:
        kwargs["timeout"] = config.timeout
    if config.compression is not None:
        kwargs["compression"] = HttpCompression(config.compression)
    if config.certificate is not None:
        kwargs["certificate_file"] = str(config.certificate)
    return kwargs


def _grpc_kwargs(config: OtlpExporterConfig) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if config.endpoint is not None:
        kwargs["endpoint"] = config.endpoint
    if config.insecure is not None:
        kwargs["insecure"] = config.insecure
    if config.headers is not None:
        kwargs["headers"] = dict(config.headers)
    if config.timeout is not None:
        kwargs["timeout"] = config.timeout
    if config.compression is not None:
        import grpc

        kwargs["compression"] = {"gzip": grpc.Compression.Gzip, "deflate": grpc.Compression.Deflate}.get(
            config.compression, grpc.Compression.NoCompression
        )
    if config.certificate is not None:
        from grpc import ssl_channel_credentials

        kwargs["credentials"] = ssl_channel_credentials(config.certificate.read_bytes())
    return kwargs


class OtlpExporter(SignalExporter):
    """One OTLP destination for logs, spans and metrics."""

    name = "otlp"
    bit = 1

    def __init__(self, config: OtlpExporterConfig) -> None:
        self._config = config
        self._protocols = {signal: resolve_protocol(config, env) for signal, env in _SIGNAL_ENV.items()}
        self._metrics_protocol = resolve_protocol(config, "METRICS")
        self._http: dict[Signal, Any] = {}
        self._grpc: dict[Signal, Any] = {}
        for signal, protocol in self._protocols.items():
            if protocol == "grpc":
                cls = _PreEncodedGrpcLogs if signal is Signal.LOGS else _PreEncodedGrpcSpans
                self._grpc[signal] = cls(**_grpc_kwargs(config))
            else:
                http_cls = HttpLogExporter if signal is Signal.LOGS else HttpSpanExporter
                self._http[signal] = http_cls(
                    endpoint=_http_endpoint(config.endpoint, _HTTP_PATHS[signal]), **_http_kwargs(config)
                )

    @property
    def protocols(self) -> Mapping[Signal, str]:
        """The protocol chosen per signal."""
        return self._protocols

    def export(self, signal: Signal, request: bytes, records: int) -> ExportOutcome:
        """Send and wait for the backend's answer (the SDK retries transient failures within its timeout).

        Over HTTP a 4xx other than 408 and 429 is a rejection; over gRPC every failure is retried (the
        SDK exporter does not expose the status code)."""
        if signal in self._http:
            result = self._http[signal]._client.export(request)
            if result.success:
                return ExportOutcome.ACCEPTED
            log.warning("OTLP/HTTP export of %d %s failed: %s", records, signal.name.lower(), result.error)
            status = result.status_code
            if status is not None and 400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS:
                return ExportOutcome.REJECTED
            return ExportOutcome.FAILED
        message_cls = ExportLogsServiceRequest if signal is Signal.LOGS else ExportTraceServiceRequest
        outcome = self._grpc[signal]._export(message_cls.FromString(request))
        return ExportOutcome.ACCEPTED if outcome.name == "SUCCESS" else ExportOutcome.FAILED

    def metric_exporter(self) -> MetricExporter:
        """SDK metric exporter (``OTEL_EXPORTER_OTLP_METRICS_*`` apply, temporality preference included)."""
        if self._metrics_protocol == "grpc":
            return GrpcMetricExporter(**_grpc_kwargs(self._config))
        return HttpMetricExporter(
            endpoint=_http_endpoint(self._config.endpoint, "v1/metrics"), **_http_kwargs(self._config)
        )

    def shutdown(self) -> None:
        """Close channels and sessions."""
        for exporter in (*self._http.values(), *self._grpc.values()):
            exporter.shutdown()
