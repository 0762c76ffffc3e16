"""What every exporter offers the export workers and the metric pipeline."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum

from opentelemetry.sdk.metrics.export import MetricExporter

from otel_auth0.convert.wire import Signal


class ExportOutcome(Enum):
    """What the backend did with a request."""

    ACCEPTED = "accepted"
    FAILED = "failed"  # transient (network, timeout, a retryable status): retried with backoff
    REJECTED = "rejected"  # refused for good: retrying the same bytes cannot succeed


@dataclass(frozen=True, slots=True)
class ExportResult:
    """The backend's verdict on one request.

    ``retry_after``: seconds the backend asked to wait before the next attempt (HTTP ``Retry-After``,
    gRPC ``RetryInfo``) on a failure. ``partially_rejected``: records an accepted request carried that
    the backend dropped (OTLP partial success); they are not retried.
    """

    outcome: ExportOutcome
    retry_after: float | None = None
    partially_rejected: int = 0


ACCEPTED = ExportResult(ExportOutcome.ACCEPTED)
FAILED = ExportResult(ExportOutcome.FAILED)
REJECTED = ExportResult(ExportOutcome.REJECTED)


class SignalExporter(ABC):
    """Sends pre-encoded OTLP requests and reports the backend's verdict."""

    name: str
    bit: int

    @abstractmethod
    def export(self, signal: Signal, request: bytes, records: int) -> ExportResult:
        """Send one ``Export{Logs,Trace}ServiceRequest`` (serialized) once and wait for the verdict;
        the export worker owns retries."""

    @abstractmethod
    def metric_exporter(self) -> MetricExporter:
        """The SDK metric exporter feeding the same destination."""

    @abstractmethod
    def shutdown(self) -> None:
        """Release connections."""
