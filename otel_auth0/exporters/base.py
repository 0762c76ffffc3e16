"""What every exporter offers the export workers and the metric pipeline."""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum

from opentelemetry.sdk.metrics.export import MetricExporter

from otel_auth0.convert.wire import Signal


class ExportOutcome(Enum):
    """What the backend did with a request."""

    ACCEPTED = "accepted"
    FAILED = "failed"  # transient (network, 5xx, 429, 408, timeout): retried with backoff
    REJECTED = "rejected"  # refused for good (another 4xx): retrying the same bytes cannot succeed


class SignalExporter(ABC):
    """Sends pre-encoded OTLP requests and reports the backend's verdict."""

    name: str
    bit: int

    @abstractmethod
    def export(self, signal: Signal, request: bytes, records: int) -> ExportOutcome:
        """Send one ``Export{Logs,Trace}ServiceRequest`` (serialized) and wait for the verdict."""

    @abstractmethod
    def metric_exporter(self) -> MetricExporter:
        """The SDK metric exporter feeding the same destination."""

    @abstractmethod
    def shutdown(self) -> None:
        """Release connections."""
