"""A detection as OpenTelemetry: one log record ``auth0.detection.<rule id>`` and one span linked to the
spans of the contributing events (docs/telemetry.md, "Detections")."""

from __future__ import annotations

import os
import time

from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from otel_auth0.convert.mapping import Converted
from otel_auth0.convert.wire import AttributeValue, Signal, frame_record, key_values
from otel_auth0.detections.engine import Detection
from otel_auth0.detections.model import SEVERITY_NUMBERS

SCOPE = "otel_auth0.detections"
SEVERITY_TEXT = {9: "INFO", 13: "WARN", 17: "ERROR", 21: "FATAL"}


def attributes(detection: Detection) -> dict[str, AttributeValue]:
    """The attributes of the log record and span."""
    rule = detection.rule
    out: dict[str, AttributeValue] = {
        "auth0.detection.rule.id": rule.id,
        "auth0.detection.rule.title": rule.title,
        "auth0.detection.count": detection.count,
        "auth0.detection.window": detection.window,
        "auth0.detection.runbook": rule.runbook,
        "auth0.detection.log_ids": detection.log_ids,
    }
    for name, value in detection.group.items():
        out[f"auth0.detection.group.{name}"] = value
    if detection.expected is not None:
        out["auth0.detection.expected"] = round(detection.expected, 3)
    if detection.escalation:
        out["auth0.detection.escalation"] = detection.escalation
    for path, value in detection.report:
        out[f"auth0.detection.report.{path}"] = value
    return out


def body(detection: Detection) -> str:
    """Human-readable summary: title, group values, count and window."""
    group = ", ".join(f"{name}={value}" for name, value in detection.group.items())
    count = f"{detection.count} events" + (f" in {detection.window:g}s" if detection.window else "")
    escalated = f" ESCALATED to {detection.severity}: {detection.escalation}." if detection.escalation else ""
    return (
        f"{detection.rule.title}"
        + (f" ({group})" if group else "")
        + f": {count}.{escalated} {detection.rule.description}"
    )


def _links(detection: Detection) -> list[Span.Link]:
    links = []
    for _, trace_hex, span_hex in detection.refs:
        if trace_hex and span_hex:
            links.append(Span.Link(trace_id=bytes.fromhex(trace_hex), span_id=bytes.fromhex(span_hex)))
    return links


def to_telemetry(detection: Detection, with_span: bool = True) -> Converted:
    """The framed log record and (when ``with_span``) the span with links to contributing spans."""
    rule = detection.rule
    severity_number = SEVERITY_NUMBERS[detection.severity]
    time_ns = int(detection.time * 1e9)
    values = attributes(detection)
    trace_id, span_id = (os.urandom(16), os.urandom(8)) if with_span else (b"", b"")
    record = LogRecord(
        time_unix_nano=time_ns,
        observed_time_unix_nano=time.time_ns(),
        severity_number=severity_number,  # type: ignore[arg-type]
        severity_text=SEVERITY_TEXT[severity_number],
        event_name=f"auth0.detection.{rule.id}",
        body=AnyValue(string_value=body(detection)),
        attributes=key_values(values),
        trace_id=trace_id,
        span_id=span_id,
    )
    logs = frame_record(Signal.LOGS, record.SerializeToString())
    if not with_span:
        return Converted(key=None, logs=logs)
    span = Span(
        trace_id=trace_id,
        span_id=span_id,
        name=f"auth0.detection.{rule.id}",
        kind=Span.SpanKind.SPAN_KIND_INTERNAL,
        start_time_unix_nano=min(int(detection.first_time * 1e9), time_ns),
        end_time_unix_nano=time_ns,
        attributes=key_values(values),
        links=_links(detection),
        status=Status(code=Status.StatusCode.STATUS_CODE_UNSET),
    )
    spans = frame_record(Signal.SPANS, span.SerializeToString())
    return Converted(key=None, logs=logs, spans=spans, span_count=1)
