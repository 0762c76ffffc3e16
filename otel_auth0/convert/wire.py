"""Protobuf wire helpers: records are stored pre-encoded and concatenated into OTLP requests.

A repeated message field in protobuf is just the concatenation of its length-delimited entries, so a
batch of log records (or spans) encoded once at intake can be framed into an export request later
without decoding them again.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
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
# (key, type, value) of strings and booleans -> length-prefixed serialized KeyValue (the type keeps True
# apart from 1), shared by log records and spans.
_ENCODED_PAIRS: dict[tuple[str, type, AttributeValue], bytes] = {}
_KEY_PREFIXES: dict[str, bytes] = {}
# Values that differ on every event are not interned: they would only push the repeating ones out.
UNIQUE_PER_EVENT = frozenset(
    {
        "auth0.log.id",
        "auth0.details",
        "auth0.transaction.id",
        "auth0.session.id",
        "auth0.correlation.id",
        "user.id",
        "enduser.id",
        "user.name",
        "user.email",
        "client.address",
        "auth0.client_ip",
    }
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


def prefixed(payload: bytes) -> bytes:
    """``payload`` with its length as a varint in front (the body of a length-delimited field)."""
    size = len(payload)
    return (_SMALL_VARINTS[size] if size < 0x80 else varint(size)) + payload


def length_delimited(field_number: int, payload: bytes) -> bytes:
    """Frame ``payload`` as field ``field_number`` (wire type 2)."""
    return varint(field_number << 3 | 2) + prefixed(payload)


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


def any_value_bytes(value: AttributeValue) -> bytes:
    """A serialized AnyValue (the same bytes protobuf writes for :func:`any_value`)."""
    if isinstance(value, bool):
        return b"\x10\x01" if value else b"\x10\x00"
    if isinstance(value, int):
        return b"\x18" + varint(value & 0xFFFFFFFFFFFFFFFF)
    if isinstance(value, float):
        return b"\x21" + struct.pack("<d", value)
    if isinstance(value, str):
        return b"\x0a" + prefixed(value.encode())
    items = b"".join(b"\x0a" + prefixed(b"\x0a" + prefixed(str(item).encode())) for item in value)
    return b"\x2a" + prefixed(items)


def _key_bytes(key: str) -> bytes:
    encoded = _KEY_PREFIXES.get(key)
    if encoded is None:
        encoded = _KEY_PREFIXES[key] = b"\x0a" + prefixed(key.encode())
    return encoded


def _entry(key: str, value: AttributeValue) -> bytes:
    """One length-prefixed serialized KeyValue: an entry of a ``repeated KeyValue`` field, without the tag."""
    key_bytes = _key_bytes(key)
    if isinstance(value, str):
        text = value.encode()
        size = len(text)
        entry_size = len(key_bytes) + size + 4
        if entry_size < 0x80:  # every length fits in one byte
            return b"".join(
                (
                    _SMALL_VARINTS[entry_size],
                    key_bytes,
                    b"\x12",
                    _SMALL_VARINTS[size + 2],
                    b"\x0a",
                    _SMALL_VARINTS[size],
                    text,
                )
            )
        return prefixed(key_bytes + b"\x12" + prefixed(b"\x0a" + prefixed(text)))
    return prefixed(key_bytes + b"\x12" + prefixed(any_value_bytes(value)))


class EncodedAttributes:
    """Attributes serialized once, then framed as the ``repeated KeyValue attributes`` field of any
    message: a log record and its span share the work. Appending a field's bytes to a serialized
    LogRecord or Span is the same as setting its attributes (protobuf fields may come in any order).

    Encoded string pairs are interned, except values that differ on every event: values such as the type,
    tenant, client or connection repeat across events, so most pairs cost one dictionary lookup
    (docs/performance.md)."""

    __slots__ = ("_entries", "_keys")

    def __init__(self, attributes: Mapping[str, AttributeValue]) -> None:
        self._keys = list(attributes)
        self._entries: list[bytes] = []
        append = self._entries.append
        interned = _ENCODED_PAIRS
        for key, value in attributes.items():
            kind = value.__class__
            if kind is bool or (
                kind is str and len(value) <= INTERNED_VALUE_LENGTH and key not in UNIQUE_PER_EVENT  # type: ignore[arg-type]
            ):
                pair = (key, kind, value)
                entry = interned.get(pair)
                if entry is None:
                    if len(interned) >= STRING_PAIR_CACHE_SIZE:
                        interned.clear()
                    entry = interned[pair] = _entry(key, value)
                append(entry)
            else:
                append(_entry(key, value))

    def field(self, field_number: int, without: AbstractSet[str] = frozenset()) -> bytes:
        """The attributes (except the keys in ``without``) as field ``field_number`` of a message."""
        entries = (
            [entry for key, entry in zip(self._keys, self._entries, strict=True) if key not in without]
            if without
            else self._entries
        )
        if not entries:
            return b""
        tag = varint(field_number << 3 | 2)
        return tag + tag.join(entries)


def encode_attributes(field_number: int, attributes: Mapping[str, AttributeValue]) -> bytes:
    """``attributes`` as serialized ``repeated KeyValue`` field ``field_number`` of the enclosing message
    (see :class:`EncodedAttributes`)."""
    return EncodedAttributes(attributes).field(field_number)


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
