"""OTLP over gRPC or HTTP/protobuf, on public surfaces only.

Logs and spans leave the queue already encoded: OTLP/HTTP posts those bytes with an httpx client
(``otlp_http``), OTLP/gRPC hands them to the generated ``opentelemetry-proto`` stubs (``otlp_grpc``).
Each ``export`` is one attempt; the export worker retries failures (honouring ``Retry-After`` and
``RetryInfo``). Metrics go through the SDK's OTLP metric exporters, given the same resolved settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import grpc
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetricExporter
from opentelemetry.exporter.otlp.proto.http import Compression as HttpCompression
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetricExporter
from opentelemetry.sdk.metrics.export import MetricExporter

from otel_auth0.config import OtlpExporterConfig
from otel_auth0.convert.wire import Signal
from otel_auth0.exporters.base import ExportResult, SignalExporter
from otel_auth0.exporters.otlp_grpc import COMPRESSION, GrpcSender, channel_credentials
from otel_auth0.exporters.otlp_http import HttpSender
from otel_auth0.exporters.otlp_settings import SignalName, SignalSettings, resolve

_SIGNAL_ENV: dict[Signal, SignalName] = {Signal.LOGS: "LOGS", Signal.SPANS: "TRACES"}


class _Sender(Protocol):
    def send(self, request: bytes, records: int) -> ExportResult: ...

    def close(self) -> None: ...


def _metric_exporter(settings: SignalSettings) -> MetricExporter:
    """The SDK exporter (temporality from ``OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE``)."""
    if settings.protocol == "grpc":
        _, tls = settings.grpc_target()
        return GrpcMetricExporter(
            endpoint=settings.endpoint,
            insecure=not tls,
            credentials=channel_credentials(settings) if tls else None,
            headers=settings.headers,
            timeout=settings.timeout,
            compression=COMPRESSION.get(settings.compression, grpc.Compression.NoCompression),
        )
    return HttpMetricExporter(
        endpoint=settings.endpoint,
        certificate_file=str(settings.certificate) if settings.certificate else None,
        client_key_file=str(settings.client_key) if settings.client_key else None,
        client_certificate_file=str(settings.client_certificate) if settings.client_certificate else None,
        headers=settings.headers,
        timeout=settings.timeout,
        compression=HttpCompression(settings.compression),
    )


class OtlpExporter(SignalExporter):
    """One OTLP destination for logs, spans and metrics."""

    name = "otlp"
    bit = 1

    def __init__(self, config: OtlpExporterConfig, environ: Mapping[str, str] | None = None) -> None:
        self._settings = {signal: resolve(config, env, environ) for signal, env in _SIGNAL_ENV.items()}
        self._metric_settings = resolve(config, "METRICS", environ)
        self._senders: dict[Signal, _Sender] = {}
        for signal, settings in self._settings.items():
            sender_cls = GrpcSender if settings.protocol == "grpc" else HttpSender
            self._senders[signal] = sender_cls(signal, settings)

    @property
    def protocols(self) -> Mapping[Signal, str]:
        """The protocol chosen per signal."""
        return {signal: settings.protocol for signal, settings in self._settings.items()}

    def export(self, signal: Signal, request: bytes, records: int) -> ExportResult:
        """Send once and classify the answer as the OTLP specification says."""
        return self._senders[signal].send(request, records)

    def metric_exporter(self) -> MetricExporter:
        """SDK metric exporter with the ``METRICS`` settings."""
        return _metric_exporter(self._metric_settings)

    def shutdown(self) -> None:
        """Close channels and connection pools."""
        for sender in self._senders.values():
            sender.close()
