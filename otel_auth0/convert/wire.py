"""Protobuf wire helpers: records are stored pre-encoded and concatenated into OTLP requests.

A repeated message field in protobuf is just the concatenation of its length-delimited entries, so a
batch of log records (or spans) encoded once at intake can be framed into an export request later
without decoding them again.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from enum import IntEnum

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, InstrumentationScope, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

AttributeValue = str | bool | int | float | Sequence[str]


class Signal(IntEnum):
    """The two signals that travel through the persistent queue (metrics are aggregated in-process)."""

    LOGS = 1
    SPANS = 2


def _field(message: type, name: str) -> int:
    number: int = message.DESCRIPTOR.fields_by_name[name].number  # type: ignore[attr-defined]
    return number


_SCOPE_LOGS_RECORDS = _field(ScopeLogs, "log_records")
_SCOPE_SPANS_SPANS = _field(ScopeSpans, "spans")
_SCOPE_FIELD = {Signal.LOGS: _field(ScopeLogs, "scope"), Signal.SPANS: _field(ScopeSpans, "scope")}
_RESOURCE_FIELD = {
    Signal.LOGS: _field(ResourceLogs, "resource"),
    Signal.SPANS: _field(ResourceSpans, "resource"),
}
_RESOURCE_SCOPES = {
    Signal.LOGS: _field(ResourceLogs, "scope_logs"),
    Signal.SPANS: _field(ResourceSpans, "scope_spans"),
}
_REQUEST_RESOURCES = {
    Signal.LOGS: _field(ExportLogsServiceRequest, "resource_logs"),
    Signal.SPANS: _field(ExportTraceServiceRequest, "resource_spans"),
}
LOG_ATTRIBUTES_FIELD = _field(LogRecord, "attributes")
SPAN_ATTRIBUTES_FIELD = _field(Span, "attributes")
RECORD_FIELD = {Signal.LOGS: _SCOPE_LOGS_RECORDS, Signal.SPANS: _SCOPE_SPANS_SPANS}
_SMALL_VARINTS = tuple(bytes((value,)) for value in range(0x80))
# Interned string attribute pairs (see key_values); emptied when full, so memory stays bounded.
STRING_PAIR_CACHE_SIZE = 8192
_STRING_PAIRS: dict[tuple[str, str], KeyValue] = {}
# (key, value) -> length-prefixed serialized KeyValue, shared by log records and spans.
_ENCODED_PAIRS: dict[tuple[str, str], bytes] = {}
_KEY_PREFIXES: dict[str, bytes] = {}
# Values that differ on every event are not interned: they would only push the repeating ones out.
UNIQUE_PER_EVENT = frozenset(
    {"auth0.log.id", "auth0.details", "auth0.transaction.id", "auth0.session.id", "auth0.correlation.id"}
)
INTERNED_VALUE_LENGTH = 256


def varint(value: int) -> bytes:
    """Encode a non-negative integer as a protobuf base-128 varint."""
    if value < 0x80:
        return _SMALL_VARINTS[value]
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def length_delimited(field_number: int, payload: bytes) -> bytes:
    """Frame ``payload`` as field ``field_number`` (wire type 2)."""
    tag = field_number << 3 | 2
    size = len(payload)
    if tag < 0x80 and size < 0x80:
        return _SMALL_VARINTS[tag] + _SMALL_VARINTS[size] + payload
    return varint(tag) + varint(size) + payload


def frame_record(signal: Signal, encoded_message: bytes) -> bytes:
    """Frame one serialized LogRecord / Span as an entry of ScopeLogs.log_records / ScopeSpans.spans."""
    return length_delimited(RECORD_FIELD[signal], encoded_message)


def any_value(value: AttributeValue) -> AnyValue:
    """Convert a Python value to an OTLP AnyValue."""
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, str):
        return AnyValue(string_value=value)
    return AnyValue(array_value=ArrayValue(values=[AnyValue(string_value=str(v)) for v in value]))


def key_values(attributes: Mapping[str, AttributeValue]) -> list[KeyValue]:
    """Convert an attribute mapping to OTLP KeyValues (to pass to a message constructor, which copies them).

    String pairs are interned: a log record and its span share most pairs, and values such as the type,
    tenant, client or connection repeat across events, so building each message once saves most of the
    conversion's protobuf work (docs/performance.md). The returned messages must not be modified.
    """
    out: list[KeyValue] = []
    for key, value in attributes.items():
        if isinstance(value, str):
            pair = (key, value)
            message = _STRING_PAIRS.get(pair)
            if message is None:
                if len(_STRING_PAIRS) >= STRING_PAIR_CACHE_SIZE:
                    _STRING_PAIRS.clear()
                message = _STRING_PAIRS[pair] = KeyValue(key=key, value=AnyValue(string_value=value))
            out.append(message)
        else:
            out.append(KeyValue(key=key, value=any_value(value)))
    return out


def _any_value_bytes(value: AttributeValue) -> bytes:
    """Serialized AnyValue (the same bytes protobuf writes for :func:`any_value`)."""
    if isinstance(value, bool):
        return b"\x10\x01" if value else b"\x10\x00"
    if isinstance(value, int):
        return b"\x18" + varint(value & 0xFFFFFFFFFFFFFFFF)
    if isinstance(value, float):
        return b"\x21" + struct.pack("<d", value)
    if isinstance(value, str):
        return length_delimited(1, value.encode())
    items = b"".join(length_delimited(1, length_delimited(1, str(item).encode())) for item in value)
    return length_delimited(5, items)


def _key_bytes(key: str) -> bytes:
    encoded = _KEY_PREFIXES.get(key)
    if encoded is None:
        encoded = _KEY_PREFIXES[key] = length_delimited(1, key.encode())
    return encoded


def _key_value_bytes(key: str, value: AttributeValue) -> bytes:
    """A serialized KeyValue."""
    if isinstance(value, str):
        text = value.encode()
        return _key_bytes(key) + length_delimited(2, length_delimited(1, text))
    return _key_bytes(key) + length_delimited(2, _any_value_bytes(value))


def encode_attributes(field_number: int, attributes: Mapping[str, AttributeValue]) -> bytes:
    """``attributes`` as serialized ``repeated KeyValue`` field ``field_number`` of the enclosing message.

    Appending these bytes to a serialized LogRecord or Span is the same as setting its attributes
    (protobuf fields may come in any order). Encoded string pairs are interned: a log record and its
    span share most pairs, and values such as the type, tenant, client or connection repeat across events,
    so most pairs cost one dictionary lookup (docs/performance.md)."""
    out = bytearray()
    tag = varint(field_number << 3 | 2)
    for key, value in attributes.items():
        if isinstance(value, str) and len(value) <= INTERNED_VALUE_LENGTH and key not in UNIQUE_PER_EVENT:
            pair = (key, value)
            encoded = _ENCODED_PAIRS.get(pair)
            if encoded is None:
                if len(_ENCODED_PAIRS) >= STRING_PAIR_CACHE_SIZE:
                    _ENCODED_PAIRS.clear()
                inner = _key_value_bytes(key, value)
                encoded = _ENCODED_PAIRS[pair] = varint(len(inner)) + inner
            out += tag
            out += encoded
        else:
            inner = _key_value_bytes(key, value)
            out += tag
            out += varint(len(inner))
            out += inner
    return bytes(out)


def encode_resource(attributes: Mapping[str, AttributeValue]) -> bytes:
    """Serialize a Resource once per process."""
    return Resource(attributes=key_values(attributes)).SerializeToString()


def encode_scope(name: str, version: str) -> bytes:
    """Serialize an InstrumentationScope."""
    return InstrumentationScope(name=name, version=version).SerializeToString()


def build_request(signal: Signal, resource: bytes, scopes: Iterable[tuple[bytes, bytes]]) -> bytes:
    """Frame ``(encoded scope, concatenated framed records)`` groups into one Export*ServiceRequest."""
    resource_body = bytearray(length_delimited(_RESOURCE_FIELD[signal], resource))
    for scope, records in scopes:
        scope_body = length_delimited(_SCOPE_FIELD[signal], scope) + records
        resource_body += length_delimited(_RESOURCE_SCOPES[signal], scope_body)
    return length_delimited(_REQUEST_RESOURCES[signal], bytes(resource_body))
