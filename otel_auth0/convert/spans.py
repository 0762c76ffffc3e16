"""Traces from Auth0 events (docs/telemetry.md, "Spans").

One span per event that belongs to an authentication transaction (``details.transaction_id``, or a
valid W3C ``references.trace_id``) or carries timing (``details.initiatedAt`` / ``completedAt`` /
``elapsedTime``); with ``telemetry.spans: all`` every event gets one. Ids are deterministic, so every
event of a transaction lands in one trace whatever the order, batch, restart or replica, and a re-sent
event keeps its span id:

* trace id: ``references.trace_id`` when valid, else the first 16 bytes of
  ``sha256("auth0.transaction\\0" + tenant + "\\0" + transaction_id)``, else (single-event traces)
  of ``sha256("auth0.event\\0" + tenant + "\\0" + log_id)``;
* span id: the first 8 bytes of ``sha256("auth0.span\\0" + tenant + "\\0" + log_id)``, and for the
  child span of ``details.prompts[i]`` of the same with ``"\\0prompt\\0" + i`` appended.

``tenant`` is the configured tenant name, else the event's ``tenant_name``; an event without ``log_id``
uses a digest of its content instead.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Final, Literal, NamedTuple

from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otel_auth0.convert import messages
from otel_auth0.convert.attributes import DETAILS_KEY, DETAILS_TRUNCATED_KEY, LOG_ATTRIBUTE_KEYS, text_value
from otel_auth0.convert.catalog import LogType
from otel_auth0.convert.events import Event
from otel_auth0.convert.wire import (
    SPAN_ATTRIBUTES_FIELD,
    AttributeValue,
    EncodedAttributes,
    Signal,
    encode_attributes,
    frame_record,
)

SpanMode = Literal["transactions", "all", "none"]
Finish = Callable[[Mapping[str, AttributeValue]], dict[str, AttributeValue]]

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_PROMPT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_MS: Final = 1_000_000
_MAX_NS: Final = 2**64 - 1  # OTLP times are fixed64 nanoseconds: up to 2554-07-21
_MAX_EPOCH_MS: Final = _MAX_NS // _MS
MAX_PROMPT_SPANS: Final = 32
UNKNOWN_TYPE_SPAN: Final = "auth0.log.unknown"
OTHER_PROMPT_SPAN: Final = "auth0.prompt.other"

# Attributes of prompt child spans, besides auth0.log.id and auth0.log.type.
_PROMPT_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("name", "auth0.prompt.name"),
    ("flow", "auth0.prompt.flow"),
    ("provider", "auth0.prompt.provider"),
    ("connection", "auth0.connection"),
    ("connection_id", "auth0.connection.id"),
    ("strategy", "auth0.strategy"),
)
# The event's attributes that its prompt spans carry too.
_PROMPT_EVENT_KEYS: Final = ("auth0.log.id", "auth0.log.type")
# Log attributes that stay on the log record only.
_LOG_ONLY: Final = frozenset({DETAILS_KEY, DETAILS_TRUNCATED_KEY})
SPAN_ATTRIBUTE_KEYS: Final = (
    (LOG_ATTRIBUTE_KEYS - _LOG_ONLY) | {name for _, name in _PROMPT_FIELDS} | {"auth0.prompt.performed_amr"}
)


class EventSpans(NamedTuple):
    """The framed spans of one event and the ids its log record carries."""

    trace_id: bytes
    span_id: bytes
    encoded: bytes
    span_count: int


def w3c_trace_id(event: Event) -> bytes | None:
    """``references.trace_id`` when it is a valid, non-zero W3C trace id."""
    references = event.get("references")
    if not isinstance(references, dict):
        return None
    value = references.get("trace_id")
    if isinstance(value, str) and _TRACE_ID.match(value.lower()) and value.strip("0"):
        return bytes.fromhex(value)
    return None


def _digest(size: int, *parts: str) -> bytes:
    """``size`` bytes of sha256 over the NUL-joined parts; never all zero (invalid in W3C)."""
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).digest()[:size]
    return digest if any(digest) else digest[:-1] + b"\x01"


def event_identity(event: Event) -> str:
    """``log_id``, or for an event without one a digest of its content."""
    log_id = event.get("log_id")
    if isinstance(log_id, str) and log_id:
        return log_id
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def transaction_trace_id(tenant: str, transaction_id: str) -> bytes:
    """The trace id of an authentication transaction without ``references.trace_id``."""
    return _digest(16, "auth0.transaction", tenant, transaction_id)


def _epoch_ns(value: object) -> int | None:
    """Epoch milliseconds (as Auth0 writes ``initiatedAt``/``completedAt``) to nanoseconds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not 0 < value <= _MAX_EPOCH_MS:
        return None
    return int(value * _MS)


def _duration_ns(value: object) -> int | None:
    """Milliseconds (``elapsedTime``) to nanoseconds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not 0 <= value <= _MAX_EPOCH_MS:
        return None
    return int(value * _MS)


def _interval(source: Mapping[str, object], fallback_end: int | None) -> tuple[int, int] | None:
    """``(start, end)`` in ns from initiatedAt / completedAt / elapsedTime; ``None`` without any."""
    initiated = _epoch_ns(source.get("initiatedAt"))
    completed = _epoch_ns(source.get("completedAt"))
    elapsed = _duration_ns(source.get("elapsedTime"))
    if initiated is None and completed is None and elapsed is None:
        return None
    end = completed
    if end is None and initiated is not None:
        end = initiated + (elapsed or 0)
    if end is None:
        end = fallback_end
    if end is None or end > _MAX_NS:  # initiatedAt + elapsedTime beyond what OTLP can carry
        return None
    start = initiated if initiated is not None else end - (elapsed or 0)
    return max(0, min(start, end)), end


def event_duration(event: Event) -> float | None:
    """Measured duration of a timed event in seconds (``elapsedTime``, else completedAt - initiatedAt)."""
    details = event.get("details")
    if not isinstance(details, dict):
        return None
    elapsed = _duration_ns(details.get("elapsedTime"))
    if elapsed is not None:
        return elapsed / 1e9
    initiated, completed = _epoch_ns(details.get("initiatedAt")), _epoch_ns(details.get("completedAt"))
    if initiated is not None and completed is not None and completed >= initiated:
        return (completed - initiated) / 1e9
    return None


def span_name(log_type: LogType) -> str:
    """``auth0.log.<code>`` for catalog codes, ``auth0.log.unknown`` otherwise (bounded cardinality)."""
    return f"auth0.log.{log_type.code}" if log_type.known else UNKNOWN_TYPE_SPAN


def prompt_span_name(prompt: Mapping[str, object]) -> str:
    """``auth0.prompt.<name>`` (``login``, ``consent``, ...); ``auth0.prompt.other`` for odd names."""
    name = prompt.get("name")
    if isinstance(name, str) and _PROMPT_NAME.match(name):
        return f"auth0.prompt.{name}"
    return OTHER_PROMPT_SPAN


class SpanBuilder:
    """Builds the spans of one event; stateless apart from its settings."""

    def __init__(self, tenant: str, mode: SpanMode) -> None:
        self._tenant = tenant
        self._mode = mode

    def build(
        self,
        event: Event,
        log_type: LogType,
        attributes: Mapping[str, AttributeValue],
        encoded: EncodedAttributes,
        time_ns: int,
        finish: Finish,
    ) -> EventSpans | None:
        """The spans of ``event`` (``attributes``: its final log attributes, ``encoded``: the same
        serialized; ``finish`` redacts and caps child-span attributes), or ``None`` when it gets none."""
        if self._mode == "none":
            return None
        details = event.get("details")
        details = details if isinstance(details, dict) else {}
        interval = _interval(details, time_ns)
        tenant = self._tenant or text_value(event.get("tenant_name")) or ""
        trace_id = w3c_trace_id(event)
        transaction = text_value(details.get("transaction_id"))
        if trace_id is None and transaction:
            trace_id = transaction_trace_id(tenant, transaction)
        if trace_id is None and interval is None and self._mode != "all":
            return None
        identity = event_identity(event)
        if trace_id is None:
            trace_id = _digest(16, "auth0.event", tenant, identity)
        span_id = _digest(8, "auth0.span", tenant, identity)
        start, end = interval or (time_ns, time_ns)
        error_message: str | None = None
        if log_type.outcome == "failure":
            message = attributes.get("error.message")
            error_message = message if isinstance(message, str) else ""
        encoded_spans = [
            frame_record(
                Signal.SPANS,
                messages.span(
                    trace_id=trace_id,
                    span_id=span_id,
                    name=span_name(log_type),
                    kind=Span.SPAN_KIND_SERVER if text_value(event.get("ip")) else Span.SPAN_KIND_INTERNAL,
                    start_ns=start,
                    end_ns=end,
                    error_message=error_message,
                )
                + encoded.field(SPAN_ATTRIBUTES_FIELD, without=_LOG_ONLY),
            )
        ]
        prompts = details.get("prompts")
        if isinstance(prompts, list):
            for index, prompt in enumerate(prompts[:MAX_PROMPT_SPANS]):
                child = self._prompt_span(
                    prompt, index, trace_id, span_id, tenant, identity, attributes, finish
                )
                if child is not None:
                    encoded_spans.append(frame_record(Signal.SPANS, child))
        return EventSpans(trace_id, span_id, b"".join(encoded_spans), len(encoded_spans))

    def _prompt_span(
        self,
        prompt: object,
        index: int,
        trace_id: bytes,
        parent_span_id: bytes,
        tenant: str,
        identity: str,
        event_attributes: Mapping[str, AttributeValue],
        finish: Finish,
    ) -> bytes | None:
        """The serialized child span of one prompt, or ``None`` when it has no timing."""
        if not isinstance(prompt, dict):
            return None
        interval = _interval(prompt, None)
        if interval is None:
            return None
        raw: dict[str, AttributeValue] = {
            key: event_attributes[key] for key in _PROMPT_EVENT_KEYS if key in event_attributes
        }
        for field, name in _PROMPT_FIELDS:
            value = text_value(prompt.get(field))
            if value:
                raw[name] = value
        amr = prompt.get("performed_amr")
        if isinstance(amr, list):
            methods = [method for method in (text_value(item) for item in amr) if method]
            if methods:
                raw["auth0.prompt.performed_amr"] = methods
        child = messages.span(
            trace_id=trace_id,
            span_id=_digest(8, "auth0.span", tenant, identity, "prompt", str(index)),
            parent_span_id=parent_span_id,
            name=prompt_span_name(prompt),
            kind=Span.SPAN_KIND_INTERNAL,
            start_ns=interval[0],
            end_ns=interval[1],
        )
        return child + encode_attributes(SPAN_ATTRIBUTES_FIELD, finish(raw))
