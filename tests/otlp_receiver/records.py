"""What the test OTLP receiver keeps: decoded log records, spans, metric points and request records."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, TypeVar

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span

HOST = "127.0.0.1"
FailureMode = Literal["ok", "unavailable", "down"]
Signal = Literal["logs", "traces", "metrics"]
T = TypeVar("T")

_REQUEST_TYPES: dict[str, type[Message]] = {
    "logs": logs_service_pb2.ExportLogsServiceRequest,
    "traces": trace_service_pb2.ExportTraceServiceRequest,
    "metrics": metrics_service_pb2.ExportMetricsServiceRequest,
}
_RESPONSE_TYPES: dict[str, type[Message]] = {
    "logs": logs_service_pb2.ExportLogsServiceResponse,
    "traces": trace_service_pb2.ExportTraceServiceResponse,
    "metrics": metrics_service_pb2.ExportMetricsServiceResponse,
}
_PARTIAL_FIELDS = {
    "logs": "rejected_log_records",
    "traces": "rejected_spans",
    "metrics": "rejected_data_points",
}
_ID_FIELDS = frozenset({"traceId", "spanId", "parentSpanId"})


def any_value(value: AnyValue) -> Any:
    """Convert an OTLP ``AnyValue`` to the matching Python value."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return attributes(value.kvlist_value.values)
    return getattr(value, kind)


def attributes(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    """Convert OTLP key/value pairs to a dict."""
    return {pair.key: any_value(pair.value) for pair in pairs}


def wait_for(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.02) -> T:
    """Poll ``predicate`` until it returns a truthy value (returned) or raise ``TimeoutError``."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"condition not met within {timeout}s: {predicate!r}")
        time.sleep(interval)


class ReceivedLog(NamedTuple):
    """One received log record with its resource attributes and scope name."""

    resource: dict[str, Any]
    scope: str
    record: LogRecord


class ReceivedSpan(NamedTuple):
    """One received span with its resource attributes and scope name."""

    resource: dict[str, Any]
    scope: str
    span: Span


@dataclass(frozen=True)
class MetricPoint:
    """One flattened metric data point; ``value`` is the number (or the sum for histograms/summaries)."""

    name: str
    kind: str
    attributes: dict[str, Any]
    value: float | None
    resource: dict[str, Any]
    point: Any


@dataclass(frozen=True)
class RequestRecord:
    """What the receiver saw for one accepted export request."""

    signal: str
    protocol: str
    received_at: float
    handle_seconds: float
    items: int
    body_bytes: int
    oldest_record_ns: int | None
    newest_record_ns: int | None
    content_encoding: str = "identity"


class ExportRejected(Exception):
    """Raised inside a handler when the simulated outage rejects the request."""

    def __init__(self, retry_after: float | None) -> None:
        super().__init__("simulated outage: unavailable")
        self.retry_after = retry_after


def _hex_ids_to_base64(node: Any) -> Any:
    """OTLP-JSON encodes trace/span ids as hex; protobuf's JSON parser expects base64."""
    if isinstance(node, dict):
        return {
            key: (
                base64.b64encode(bytes.fromhex(val)).decode()
                if key in _ID_FIELDS and isinstance(val, str)
                else _hex_ids_to_base64(val)
            )
            for key, val in node.items()
        }
    if isinstance(node, list):
        return [_hex_ids_to_base64(item) for item in node]
    return node


def decode_request(signal_name: str, body: bytes, content_type: str) -> Message:
    """Decode an OTLP export request body (protobuf or OTLP-JSON); raise ``ValueError`` if invalid."""
    message = _REQUEST_TYPES[signal_name]()
    try:
        if content_type == "application/json":
            json_format.ParseDict(_hex_ids_to_base64(json.loads(body)), message, ignore_unknown_fields=True)
        else:
            message.ParseFromString(body)
    except (DecodeError, json_format.ParseError, ValueError) as exc:
        raise ValueError(f"cannot decode OTLP {signal_name} request: {exc}") from exc
    return message


def _record_time_range(signal_name: str, request: Message) -> tuple[int, int | None, int | None]:
    """Count items and find the oldest/newest record timestamp (logs: observed or event time; spans: end)."""
    stamps: list[int] = []
    items = 0
    if signal_name == "logs":
        for rl in request.resource_logs:
            for sl in rl.scope_logs:
                items += len(sl.log_records)
                stamps.extend(r.observed_time_unix_nano or r.time_unix_nano for r in sl.log_records)
    elif signal_name == "traces":
        for rs in request.resource_spans:
            for ss in rs.scope_spans:
                items += len(ss.spans)
                stamps.extend(s.end_time_unix_nano for s in ss.spans)
    else:
        for rm in request.resource_metrics:
            for sm in rm.scope_metrics:
                items += sum(len(_points_of(metric)[1]) for metric in sm.metrics)
    stamps = [s for s in stamps if s]
    return items, (min(stamps) if stamps else None), (max(stamps) if stamps else None)


def _points_of(metric: Any) -> tuple[str, Sequence[Any]]:
    kind = metric.WhichOneof("data")
    if kind is None:
        return "none", []
    return kind, getattr(metric, kind).data_points


def _point_value(kind: str, point: Any) -> float | None:
    if kind in ("sum", "gauge"):
        which = point.WhichOneof("value")
        return float(getattr(point, which)) if which else None
    return float(point.sum) if point.HasField("sum") or kind == "summary" else None
