"""The single conversion path: one Auth0 event → pre-encoded OTLP log record (and spans)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from otel_auth0.convert.attributes import cap, log_attributes
from otel_auth0.convert.catalog import lookup
from otel_auth0.convert.events import Event, parse_time_ns
from otel_auth0.convert.wire import Signal, frame_record, key_values

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_ZERO_TRACE = "0" * 32


@dataclass(frozen=True, slots=True)
class Converted:
    """One event's telemetry, framed for the persistent queue."""

    key: str | None
    logs: bytes
    spans: bytes = b""
    span_count: int = 0


def w3c_trace_id(event: Event) -> bytes | None:
    """``references.trace_id`` when it is a valid, non-zero W3C trace id."""
    references = event.get("references")
    if not isinstance(references, dict):
        return None
    value = references.get("trace_id")
    if isinstance(value, str) and _TRACE_ID.match(value) and value != _ZERO_TRACE:
        return bytes.fromhex(value)
    return None


class EventConverter:
    """Converts Auth0 tenant-log events; stateless apart from its settings, safe to share."""

    def __init__(self, max_attribute_length: int = 4096) -> None:
        self._max_length = max_attribute_length

    def convert(self, event: Event, observed_ns: int | None = None) -> Converted:
        """Map one normalised event (see :func:`otel_auth0.convert.events.normalize_event`)."""
        log_type = lookup(str(event["type"]))
        observed = observed_ns if observed_ns is not None else time.time_ns()
        record = LogRecord(
            time_unix_nano=parse_time_ns(event.get("date")) or observed,
            observed_time_unix_nano=observed,
            severity_number=int(log_type.severity_number),  # type: ignore[arg-type]
            severity_text=log_type.severity_text,
            event_name=f"auth0.log.{log_type.code}",
            attributes=key_values(log_attributes(event, log_type, self._max_length)),
        )
        description = event.get("description")
        if isinstance(description, str) and description:
            record.body.CopyFrom(AnyValue(string_value=cap(description, self._max_length)))
        trace_id = w3c_trace_id(event)
        if trace_id is not None:
            record.trace_id = trace_id
        log_id = event.get("log_id")
        return Converted(
            key=log_id if isinstance(log_id, str) else None,
            logs=frame_record(Signal.LOGS, record.SerializeToString()),
        )
