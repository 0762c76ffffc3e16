"""What every exporter offers the export workers and the metric pipeline."""

from __future__ import annotations

from abc import ABC, abstractmethod

from opentelemetry.sdk.metrics.export import MetricExporter

from otel_auth0.convert.wire import Signal


class SignalExporter(ABC):
    """Sends pre-encoded OTLP requests; ``export`` returns True only when the backend acknowledged."""

    name: str
    bit: int

    @abstractmethod
    def export(self, signal: Signal, request: bytes, records: int) -> bool:
        """Send one ``Export{Logs,Trace}ServiceRequest`` (serialized); True when acknowledged."""

    @abstractmethod
    def metric_exporter(self) -> MetricExporter:
        """The SDK metric exporter feeding the same destination."""

    @abstractmethod
    def shutdown(self) -> None:
        """Release connections."""
