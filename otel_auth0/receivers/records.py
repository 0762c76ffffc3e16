"""Builders for the telemetry our own receivers emit (probe, endpoint check, status, notices): framed
OTLP spans and log records ready for :meth:`otel_auth0.pipeline.intake.Intake.submit_converted`."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping, Sequence

from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, SeverityNumber
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from otel_auth0.convert.mapping import Converted
from otel_auth0.convert.wire import AttributeValue, Signal, frame_record, key_values
from otel_auth0.detections.engine import Observed
from otel_auth0.receivers.base import Services
from otel_auth0.state.queue import QueueFull

log = logging.getLogger(__name__)

SEVERITY_TEXT = {
    SeverityNumber.SEVERITY_NUMBER_INFO: "INFO",
    SeverityNumber.SEVERITY_NUMBER_WARN: "WARN",
    SeverityNumber.SEVERITY_NUMBER_ERROR: "ERROR",
}


def new_trace_id() -> bytes:
    """A random W3C trace id."""
    return os.urandom(16)


def new_span_id() -> bytes:
    """A random span id."""
    return os.urandom(8)


def span(
    trace_id: bytes,
    span_id: bytes,
    name: str,
    start_ns: int,
    end_ns: int,
    attributes: Mapping[str, AttributeValue],
    *,
    parent_id: bytes = b"",
    kind: Span.SpanKind.ValueType = Span.SpanKind.SPAN_KIND_INTERNAL,
    error: str | None = None,
) -> bytes:
    """One framed span; ``error`` sets status ERROR with that message, else status OK."""
    message = Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_id,
        name=name,
        kind=kind,
        start_time_unix_nano=start_ns,
        end_time_unix_nano=max(end_ns, start_ns),
        attributes=key_values(attributes),
        status=Status(code=Status.StatusCode.STATUS_CODE_ERROR, message=error)
        if error is not None
        else Status(code=Status.StatusCode.STATUS_CODE_OK),
    )
    return frame_record(Signal.SPANS, message.SerializeToString())


def log_record(
    event_name: str,
    severity: SeverityNumber.ValueType,
    body: str,
    attributes: Mapping[str, AttributeValue],
    *,
    time_ns: int | None = None,
    trace_id: bytes = b"",
    span_id: bytes = b"",
) -> bytes:
    """One framed log record."""
    observed = time.time_ns()
    record = LogRecord(
        time_unix_nano=time_ns or observed,
        observed_time_unix_nano=observed,
        severity_number=severity,
        severity_text=SEVERITY_TEXT.get(severity, ""),
        event_name=event_name,
        body=AnyValue(string_value=body),
        attributes=key_values(attributes),
        trace_id=trace_id,
        span_id=span_id,
    )
    return frame_record(Signal.LOGS, record.SerializeToString())


async def submit(
    services: Services,
    items: Sequence[Converted],
    scope: str,
    checkpoint: tuple[str, str] | None = None,
    observed: Sequence[Observed] = (),
) -> int | None:
    """Enqueue off the event loop (``observed`` then goes to the detection rules); returns how many
    items were new, or ``None`` when the queue was full (reported; nothing enqueued)."""
    try:
        result = await asyncio.to_thread(services.intake.submit_converted, items, scope, checkpoint, observed)
    except QueueFull as full:
        services.instruments.queue_refused.add(1, services.source)
        services.instruments.receiver_refused_log_records.add(len(items), services.source)
        log.warning("%s: telemetry not queued: %s", services.name, full)
        return None
    source = services.source
    if result.accepted:
        services.instruments.receiver_events.add(result.accepted, source)
    if result.duplicates:
        services.instruments.receiver_duplicates.add(result.duplicates, source)
    return result.accepted
