"""The single conversion path: one Auth0 event → pre-encoded OTLP log record and spans, redacted
before anything is encoded."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import NamedTuple

from otel_auth0.config import TelemetryConfig
from otel_auth0.convert import cloudevents, messages
from otel_auth0.convert.attributes import cap, cap_attributes, log_attributes
from otel_auth0.convert.catalog import LogType, lookup
from otel_auth0.convert.events import Event, parse_time_ns, sanitize
from otel_auth0.convert.redaction import Redaction, Redactor
from otel_auth0.convert.spans import SpanBuilder, event_duration, w3c_trace_id
from otel_auth0.convert.wire import (
    LOG_ATTRIBUTES_FIELD,
    AttributeValue,
    EncodedAttributes,
    Signal,
    frame_record,
)


class EventFacts(NamedTuple):
    """What the event metrics need, taken from the final (redacted) attributes."""

    log_type: LogType
    time_ns: int | None
    connection: str | None = None
    client_id: str | None = None
    client_name: str | None = None
    duration_s: float | None = None


class Converted(NamedTuple):
    """One event's telemetry, framed for the persistent queue."""

    key: str | None
    logs: bytes
    spans: bytes = b""
    span_count: int = 0
    facts: EventFacts | None = None
    trace_id: bytes = b""
    span_id: bytes = b""


def log_body(event: Event, log_type: LogType) -> str:
    """The record's body: the event's ``description`` when it has one, else the catalog's name of its
    type (events such as ``s`` carry no description), so no list view shows a blank line."""
    description = event.get("description")
    if isinstance(description, str) and description.strip():
        return description
    return log_type.label if log_type.known else f"{log_type.label} ({log_type.code})"


def _string(attributes: Mapping[str, AttributeValue], key: str) -> str | None:
    value = attributes.get(key)
    return value if isinstance(value, str) else None


class EventConverter:
    """Converts Auth0 tenant-log events; stateless apart from its settings, safe to share between threads.

    ``tenant`` seeds the derived trace ids (the event's ``tenant_name`` is used when it is empty).
    """

    def __init__(
        self,
        tenant: str = "",
        telemetry: TelemetryConfig | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.telemetry = telemetry or TelemetryConfig()
        self._max_length = self.telemetry.max_attribute_length
        self._spans = SpanBuilder(tenant, self.telemetry.spans)
        self._redactor = redactor

    def convert(self, event: Event, observed_ns: int | None = None) -> Converted:
        """Map one normalised event (see :func:`otel_auth0.convert.events.normalize_event`); values that
        cannot be encoded as they are (lone surrogates, integers beyond 64 bits) are normalised first."""
        try:
            return self._convert(event, observed_ns)
        except (ValueError, OverflowError, TypeError):
            return self._convert(sanitize(event), observed_ns)

    def _convert(self, event: Event, observed_ns: int | None) -> Converted:
        log_type = lookup(str(event["type"]))
        observed = observed_ns if observed_ns is not None else time.time_ns()
        event_ns = parse_time_ns(event.get("date"))
        time_ns = event_ns or observed
        attributes = log_attributes(event, log_type)
        body = log_body(event, log_type)
        redaction = self._redactor.begin(attributes, body) if self._redactor is not None else None
        if redaction is not None:
            attributes = redaction.attributes(attributes)
            body = redaction.text(body)
        attributes = cap_attributes(attributes, self._max_length)

        def finish(raw: Mapping[str, AttributeValue]) -> dict[str, AttributeValue]:
            return self._finish(raw, redaction)

        encoded = EncodedAttributes(attributes)
        spans = self._spans.build(event, log_type, attributes, encoded, time_ns, finish)
        if spans is not None:
            trace_id, span_id = spans.trace_id, spans.span_id
        else:
            trace_id, span_id = w3c_trace_id(event) or b"", b""
        record = messages.log_record(
            time_ns=time_ns,
            observed_ns=observed,
            severity_number=log_type.severity_number,
            severity_text=log_type.severity_text,
            event_name=f"auth0.log.{log_type.code}",
            body=cap(body, self._max_length),
            trace_id=trace_id,
            span_id=span_id,
        )
        log_id = event.get("log_id")
        facts = EventFacts(
            log_type=log_type,
            time_ns=event_ns,
            connection=_string(attributes, "auth0.connection"),
            client_id=_string(attributes, "auth0.client.id"),
            client_name=_string(attributes, "auth0.client.name"),
            duration_s=event_duration(event),
        )
        return Converted(
            key=log_id if isinstance(log_id, str) else None,
            logs=frame_record(Signal.LOGS, record + encoded.field(LOG_ATTRIBUTES_FIELD)),
            spans=spans.encoded if spans is not None else b"",
            span_count=spans.span_count if spans is not None else 0,
            facts=facts,
            trace_id=spans.trace_id if spans is not None else b"",
            span_id=spans.span_id if spans is not None else b"",
        )

    def convert_cloud_event(self, event: Event, observed_ns: int | None = None) -> Converted:
        """Map one validated Auth0 Event Streams CloudEvent (:mod:`otel_auth0.convert.cloudevents`),
        redacted like tenant logs; keyed by its event id for the queue's dedupe."""
        try:
            logs = cloudevents.convert(event, self._max_length, self._redactor, observed_ns)
        except (ValueError, OverflowError, TypeError):
            logs = cloudevents.convert(sanitize(event), self._max_length, self._redactor, observed_ns)
        return Converted(key=cloudevents.dedupe_key(event), logs=logs)

    def _finish(
        self, raw: Mapping[str, AttributeValue], redaction: Redaction | None
    ) -> dict[str, AttributeValue]:
        """Redact (with the event's replacements) and cap attributes built after the log record's."""
        return cap_attributes(redaction.attributes(raw) if redaction is not None else raw, self._max_length)
