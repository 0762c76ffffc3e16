"""Decode the framed records of a :class:`~otel_auth0.convert.mapping.Converted` for assertions."""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ScopeLogs
from opentelemetry.proto.trace.v1.trace_pb2 import ScopeSpans, Span

from otel_auth0.convert.mapping import Converted
from tests.otlp_receiver import attributes


def log_of(converted: Converted) -> LogRecord:
    """The single log record of ``converted``."""
    records = ScopeLogs.FromString(converted.logs).log_records
    assert len(records) == 1
    return records[0]


def spans_of(converted: Converted) -> list[Span]:
    """The spans of ``converted`` (event span first, then prompt children)."""
    spans = list(ScopeSpans.FromString(converted.spans).spans)
    assert len(spans) == converted.span_count
    return spans


def attrs(item: LogRecord | Span) -> dict[str, Any]:
    """Attributes of a log record or span as a dict."""
    return attributes(item.attributes)
