"""The OTLP specification's verdicts: which answers are retried (and after how long), which are
refused for good, and what an accepted request's partial success says."""

from __future__ import annotations

import email.utils
import logging
import math
import time
from collections.abc import Iterable
from datetime import UTC

import grpc
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from otel_auth0.convert.wire import Signal
from otel_auth0.exporters.base import ACCEPTED, REJECTED, ExportOutcome, ExportResult

log = logging.getLogger(__name__)

RETRYABLE_HTTP_STATUS = frozenset({429, 502, 503, 504})
# Answers that are about the exporter's setup or the backend's state, not about the records: parking
# the records would lose data a configuration fix would deliver, so they stay queued and are retried
# with backoff (``/readyz`` reports the failing exporter). The specification calls them permanent.
SETUP_HTTP_STATUS = frozenset({401, 403, 404, 405, 407, 408})
SETUP_GRPC_CODES = frozenset(
    {
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)
RETRYABLE_GRPC_CODES = frozenset(
    {
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)
_RETRY_INFO_KEY = "google.rpc.retryinfo-bin"
_STATUS_DETAILS_KEY = "grpc-status-details-bin"
ExportResponse = ExportLogsServiceResponse | ExportTraceServiceResponse
RESPONSE_TYPES: dict[Signal, type[ExportResponse]] = {
    Signal.LOGS: ExportLogsServiceResponse,
    Signal.SPANS: ExportTraceServiceResponse,
}


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """An HTTP ``Retry-After`` (delay seconds or an HTTP date) as seconds from now; None if absent
    or unreadable."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = when.timestamp() - (time.time() if now is None else now)
        except (TypeError, ValueError, OverflowError):
            return None
    # Any size is kept (the export worker caps it at max_retry_wait); NaN reads as "very long".
    return math.inf if math.isnan(seconds) else max(0.0, seconds)


def http_result(status: int, retry_after: str | None) -> ExportResult:
    """A non-2xx status: 429, 502, 503 and 504 are retried after ``Retry-After`` when given; a refusal
    about the setup (:data:`SETUP_HTTP_STATUS`, any 5xx) is retried with backoff; any other status is
    a refusal of the records, for good."""
    if status in RETRYABLE_HTTP_STATUS:
        return ExportResult(ExportOutcome.FAILED, retry_after_seconds(retry_after))
    if status in SETUP_HTTP_STATUS or status >= 500:
        return ExportResult(ExportOutcome.FAILED)
    return REJECTED


def _retry_info(value: str | bytes) -> float | None:
    try:
        info = error_details_pb2.RetryInfo.FromString(value if isinstance(value, bytes) else value.encode())
    except DecodeError:
        return None
    return info.retry_delay.ToNanoseconds() / 1e9 if info.HasField("retry_delay") else None


def grpc_retry_delay(trailing: Iterable[tuple[str, str | bytes]] | None) -> float | None:
    """The ``RetryInfo`` delay of a failed call, from its own trailer or the rich status details."""
    for key, value in trailing or ():
        if key == _RETRY_INFO_KEY:
            return _retry_info(value)
        if key == _STATUS_DETAILS_KEY:
            try:
                status = status_pb2.Status.FromString(value if isinstance(value, bytes) else value.encode())
            except DecodeError:
                continue
            for detail in status.details:
                if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                    return _retry_info(detail.value)
    return None


def grpc_result(code: grpc.StatusCode, trailing: Iterable[tuple[str, str | bytes]] | None) -> ExportResult:
    """A failed call: the specification's retryable codes are retried (after ``RetryInfo`` when
    given); a refusal about the setup (:data:`SETUP_GRPC_CODES`) is retried with backoff; every other
    code (INVALID_ARGUMENT, FAILED_PRECONDITION, ...) is a refusal of the records, for good."""
    delay = grpc_retry_delay(trailing)
    if code in RETRYABLE_GRPC_CODES or code in SETUP_GRPC_CODES:
        return ExportResult(ExportOutcome.FAILED, delay)
    return REJECTED


def log_unaccepted(
    logger: logging.Logger, export: str, destination: str, answer: str, result: ExportResult, message: str
) -> None:
    """Warn about an export the backend did not accept: ``export`` (what went over which protocol),
    ``destination``, its ``answer``, whether it is retried, and the backend's ``message``."""
    verdict = "will retry" if result.outcome is ExportOutcome.FAILED else "refused for good"
    logger.warning("%s to %s: %s (%s): %s", export, destination, answer, verdict, message)


def accepted(signal: Signal, response: ExportResponse, destination: str) -> ExportResult:
    """An accepted request; a partial success is logged here and its count handed to the worker."""
    if isinstance(response, ExportLogsServiceResponse):
        rejected = response.partial_success.rejected_log_records
        message = response.partial_success.error_message
    else:
        rejected = response.partial_success.rejected_spans
        message = response.partial_success.error_message
    if not rejected and not message:
        return ACCEPTED
    log.warning(
        "%s accepted the request but dropped %d %s: %s",
        destination,
        rejected,
        signal.name.lower(),
        message or "(no message)",
    )
    return ExportResult(ExportOutcome.ACCEPTED, partially_rejected=rejected)
