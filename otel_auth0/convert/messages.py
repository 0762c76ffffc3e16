"""LogRecord and Span messages serialized by hand: the same bytes protobuf writes for the fields the
converter sets (fields in number order, proto3 defaults left out), without building a message object per
event. ``tests/unit/convert/test_messages.py`` compares both with opentelemetry-proto's serialization."""

from __future__ import annotations

import struct
from functools import lru_cache

from otel_auth0.convert.wire import any_value_bytes, prefixed, varint

_FIXED64 = struct.Struct("<Q").pack
_STATUS_CODE_ERROR = 2


def _fixed64(tag: bytes, value: int) -> bytes:
    return tag + _FIXED64(value) if value else b""


def _string(tag: bytes, value: str) -> bytes:
    return tag + prefixed(value.encode()) if value else b""


def _bytes(tag: bytes, value: bytes) -> bytes:
    return tag + prefixed(value) if value else b""


def _enum(tag: bytes, value: int) -> bytes:
    return tag + varint(value) if value else b""


@lru_cache(maxsize=1024)
def _log_type_fields(severity_number: int, severity_text: str, event_name: str) -> tuple[bytes, bytes]:
    """The fields that depend only on the log type: (severity number and text, event name)."""
    return _enum(b"\x10", severity_number) + _string(b"\x1a", severity_text), _string(b"\x62", event_name)


def log_record(
    *,
    time_ns: int,
    observed_ns: int,
    severity_number: int,
    severity_text: str,
    event_name: str,
    body: str | None = None,
    trace_id: bytes = b"",
    span_id: bytes = b"",
) -> bytes:
    """A serialized ``LogRecord`` without attributes (append them, see :mod:`otel_auth0.convert.wire`);
    ``body`` is a string ``AnyValue``."""
    severity, name = _log_type_fields(severity_number, severity_text, event_name)
    return b"".join(
        (
            _fixed64(b"\x09", time_ns),
            severity,
            b"\x2a" + prefixed(any_value_bytes(body)) if body is not None else b"",
            _bytes(b"\x4a", trace_id),
            _bytes(b"\x52", span_id),
            _fixed64(b"\x59", observed_ns),
            name,
        )
    )


def span(
    *,
    trace_id: bytes,
    span_id: bytes,
    name: str,
    kind: int,
    start_ns: int,
    end_ns: int,
    parent_span_id: bytes = b"",
    error_message: str | None = None,
) -> bytes:
    """A serialized ``Span`` without attributes; ``error_message`` sets status ERROR with that message."""
    status = b""
    if error_message is not None:
        status = b"\x7a" + prefixed(_string(b"\x12", error_message) + b"\x18" + varint(_STATUS_CODE_ERROR))
    return b"".join(
        (
            _bytes(b"\x0a", trace_id),
            _bytes(b"\x12", span_id),
            _bytes(b"\x22", parent_span_id),
            _string(b"\x2a", name),
            _enum(b"\x30", kind),
            _fixed64(b"\x39", start_ns),
            _fixed64(b"\x41", end_ns),
            status,
        )
    )
