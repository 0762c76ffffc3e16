"""A real OTLP receiver (gRPC and HTTP) on 127.0.0.1 for integration tests and benchmarks.

It decodes requests with ``opentelemetry-proto``, stores what it received in thread-safe
collections and can simulate backend outages (``unavailable`` answers or ``down`` sockets).
Run it as a process with ``python -m tests.otlp_receiver --grpc-port P --http-port Q``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import json
import signal
import socket
import statistics
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent import futures
from dataclasses import asdict, dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, NamedTuple, TypeVar
from urllib.parse import parse_qs, urlsplit

import grpc
from google.protobuf import duration_pb2, json_format
from google.protobuf.message import DecodeError, Message
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs
from opentelemetry.proto.metrics.v1.metrics_pb2 import ResourceMetrics
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span

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


class OtlpReceiver:
    """Test OTLP backend: gRPC and HTTP servers on 127.0.0.1 with outage control.

    ``keep_messages=False`` (count-only) keeps counters and per-request records but no decoded data.
    """

    def __init__(self, grpc_port: int = 0, http_port: int = 0, keep_messages: bool = True) -> None:
        self.keep_messages = keep_messages
        self._grpc_port = grpc_port
        self._http_port = http_port
        self._cond = threading.Condition()
        self._grpc_server: grpc.Server | None = None
        self._http_server: _HttpServer | None = None
        self._http_thread: threading.Thread | None = None
        self._restart_timer: threading.Timer | None = None
        self._mode: FailureMode = "ok"
        self._fail_remaining: int | None = None
        self._fail_until: float | None = None
        self._retry_after: float | None = None
        self._refuse: Callable[[str, Message], bool] | None = None
        self._partial: tuple[int, str] | None = None
        self.clear()

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def grpc_endpoint(self) -> str:
        """Base URL for gRPC exporters, e.g. ``http://127.0.0.1:4317``."""
        return f"http://{HOST}:{self._grpc_port}"

    @property
    def http_endpoint(self) -> str:
        """Base URL for HTTP exporters; clients append ``/v1/logs`` etc."""
        return f"http://{HOST}:{self._http_port}"

    @property
    def running(self) -> bool:
        """True while both servers listen."""
        return self._grpc_server is not None and self._http_server is not None

    def start(self) -> OtlpReceiver:
        """Start both servers (on the ports chosen at construction or at the first start)."""
        if self.running:
            return self
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(_LogsServicer(self), server)
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_TraceServicer(self), server)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(_MetricsServicer(self), server)
        port = server.add_insecure_port(f"{HOST}:{self._grpc_port}")
        if port == 0:
            raise OSError(f"cannot bind gRPC port {HOST}:{self._grpc_port}")
        server.start()
        self._grpc_server, self._grpc_port = server, port
        http_server = _HttpServer((HOST, self._http_port), _HttpHandler)
        http_server.receiver = self
        self._http_server, self._http_port = http_server, http_server.server_address[1]
        self._http_thread = threading.Thread(
            target=http_server.serve_forever, kwargs={"poll_interval": 0.05}, name="otlp-http", daemon=True
        )
        self._http_thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and drop every open connection (ports are kept for ``restart``)."""
        grpc_server, self._grpc_server = self._grpc_server, None
        http_server, self._http_server = self._http_server, None
        if grpc_server is not None:
            grpc_server.stop(grace=None).wait()
        if http_server is not None:
            http_server.shutdown()
            http_server.server_close()
            http_server.drop_connections()
        if self._http_thread is not None:
            self._http_thread.join()
            self._http_thread = None

    def restart(self) -> OtlpReceiver:
        """Listen again on the same ports after ``down``; also clears the failure mode."""
        with self._cond:
            self._mode, self._fail_remaining, self._fail_until = "ok", None, None
        self.stop()
        return self.start()

    def close(self) -> None:
        """Cancel a pending automatic restart and stop the servers."""
        if self._restart_timer is not None:
            self._restart_timer.cancel()
        self.stop()

    def __enter__(self) -> OtlpReceiver:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- outage control --------------------------------------------------------------------
    def set_failure(
        self,
        mode: FailureMode,
        count: int | None = None,
        duration: float | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Simulate an outage.

        ``unavailable``: answer gRPC UNAVAILABLE / HTTP 503 to the next ``count`` requests, or for
        ``duration`` seconds, or until ``set_failure("ok")``; ``retry_after`` (seconds) adds a
        ``Retry-After`` header and gRPC ``RetryInfo`` trailing metadata.
        ``down``: stop listening; restart on the same ports after ``duration`` or on ``restart()``.
        ``ok``: normal service (restarts the servers if they are down).
        """
        if self._restart_timer is not None:
            self._restart_timer.cancel()
            self._restart_timer = None
        if mode == "down":
            with self._cond:
                self._mode = "down"
            self.stop()
            if duration is not None:
                self._restart_timer = threading.Timer(duration, self.restart)
                self._restart_timer.daemon = True
                self._restart_timer.start()
            return
        with self._cond:
            self._mode = mode
            self._fail_remaining = count if mode == "unavailable" else None
            self._fail_until = time.monotonic() + duration if mode == "unavailable" and duration else None
            self._retry_after = retry_after
        if mode == "ok" and not self.running:
            self.start()

    def set_refusal(self, predicate: Callable[[str, Message], bool] | None) -> None:
        """Refuse for good (HTTP 400 / gRPC INVALID_ARGUMENT) every request for which
        ``predicate(signal, request)`` is true; ``None`` accepts everything again."""
        with self._cond:
            self._refuse = predicate

    def set_partial_success(self, rejected: int | None, message: str = "") -> None:
        """Answer every accepted request with an OTLP partial success claiming ``rejected`` dropped
        items and ``message``; ``None`` answers plain success again."""
        with self._cond:
            self._partial = None if rejected is None else (rejected, message)

    def _refused(self, signal_name: str, request: Message) -> bool:
        with self._cond:
            refuse = self._refuse
        if refuse is None or not refuse(signal_name, request):
            return False
        with self._cond:
            self.refused_count += 1
            self._cond.notify_all()
        return True

    def _response(self, signal_name: str) -> Message:
        response = _RESPONSE_TYPES[signal_name]()
        with self._cond:
            partial = self._partial
        if partial is not None:
            field = _PARTIAL_FIELDS[signal_name]
            setattr(response.partial_success, field, partial[0])  # type: ignore[attr-defined]
            response.partial_success.error_message = partial[1]  # type: ignore[attr-defined]
        return response

    @property
    def failure_mode(self) -> FailureMode:
        """The current failure mode, after expiry of count/duration limits."""
        with self._cond:
            self._expire_failure()
            return self._mode

    def _expire_failure(self) -> None:
        if self._mode != "unavailable":
            return
        if (self._fail_remaining is not None and self._fail_remaining <= 0) or (
            self._fail_until is not None and time.monotonic() >= self._fail_until
        ):
            self._mode, self._fail_remaining, self._fail_until = "ok", None, None

    def _admit(self) -> None:
        """Raise ``ExportRejected`` when the simulated outage rejects this request."""
        with self._cond:
            self._expire_failure()
            if self._mode != "unavailable":
                return
            if self._fail_remaining is not None:
                self._fail_remaining -= 1
            self.rejected_count += 1
            self._cond.notify_all()
            raise ExportRejected(self._retry_after)

    # -- ingestion -------------------------------------------------------------------------
    def _ingest(
        self,
        signal_name: str,
        protocol: str,
        request: Message,
        body_bytes: int,
        started: float,
        content_encoding: str = "identity",
    ) -> None:
        items, oldest, newest = _record_time_range(signal_name, request)
        handle_seconds = time.perf_counter() - started
        record = RequestRecord(
            signal_name,
            protocol,
            time.time(),
            handle_seconds,
            items,
            body_bytes,
            oldest,
            newest,
            content_encoding,
        )
        with self._cond:
            self.request_count += 1
            self.requests.append(record)
            if signal_name == "logs":
                self.log_record_count += items
                if self.keep_messages:
                    self.resource_logs.extend(request.resource_logs)
            elif signal_name == "traces":
                self.span_count += items
                if self.keep_messages:
                    self.resource_spans.extend(request.resource_spans)
            else:
                self.metric_point_count += items
                if self.keep_messages:
                    self.resource_metrics.extend(request.resource_metrics)
            self._cond.notify_all()

    def _count_bad_request(self) -> None:
        with self._cond:
            self.bad_request_count += 1
            self._cond.notify_all()

    # -- accessors -------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget everything received and reset all counters."""
        with self._cond:
            self.resource_logs: list[ResourceLogs] = []
            self.resource_spans: list[ResourceSpans] = []
            self.resource_metrics: list[ResourceMetrics] = []
            self.requests: list[RequestRecord] = []
            self.request_count = 0
            self.rejected_count = 0
            self.refused_count = 0
            self.bad_request_count = 0
            self.log_record_count = 0
            self.span_count = 0
            self.metric_point_count = 0

    def log_records(self) -> list[ReceivedLog]:
        """Every received log record as (resource attributes, scope name, LogRecord)."""
        with self._cond:
            batches = list(self.resource_logs)
        return [
            ReceivedLog(attributes(rl.resource.attributes), sl.scope.name, record)
            for rl in batches
            for sl in rl.scope_logs
            for record in sl.log_records
        ]

    def log_attribute_values(self, key: str) -> list[Any]:
        """The value of attribute ``key`` of every received log record that has it, in arrival order."""
        values = []
        for received in self.log_records():
            for pair in received.record.attributes:
                if pair.key == key:
                    values.append(any_value(pair.value))
                    break
        return values

    def spans(self) -> list[ReceivedSpan]:
        """Every received span as (resource attributes, scope name, Span)."""
        with self._cond:
            batches = list(self.resource_spans)
        return [
            ReceivedSpan(attributes(rs.resource.attributes), ss.scope.name, span)
            for rs in batches
            for ss in rs.scope_spans
            for span in ss.spans
        ]

    def metric_points(self, name: str | None = None) -> list[MetricPoint]:
        """Flattened sum/gauge/histogram/summary data points, optionally only of metric ``name``."""
        with self._cond:
            batches = list(self.resource_metrics)
        points: list[MetricPoint] = []
        for rm in batches:
            resource = attributes(rm.resource.attributes)
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    if name is not None and metric.name != name:
                        continue
                    kind, data_points = _points_of(metric)
                    points.extend(
                        MetricPoint(
                            metric.name, kind, attributes(p.attributes), _point_value(kind, p), resource, p
                        )
                        for p in data_points
                    )
        return points

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:
        """Wait until ``predicate`` is truthy, re-checking whenever a request arrives (or every 50 ms)."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s: {predicate!r}")
            with self._cond:
                self._cond.wait(min(remaining, 0.05))

    def stats(self, detail: bool = False) -> dict[str, Any]:
        """Counters and request-handling latency summary; ``detail`` adds every request record."""
        with self._cond:
            requests = list(self.requests)
            result: dict[str, Any] = {
                "requests": self.request_count,
                "rejected": self.rejected_count,
                "refused": self.refused_count,
                "bad_requests": self.bad_request_count,
                "log_records": self.log_record_count,
                "spans": self.span_count,
                "metric_points": self.metric_point_count,
            }
        handle = sorted(r.handle_seconds for r in requests)
        result["body_bytes"] = sum(r.body_bytes for r in requests)
        result["first_request_at"] = requests[0].received_at if requests else None
        result["last_request_at"] = requests[-1].received_at if requests else None
        result["handle_seconds"] = {
            "p50": statistics.median(handle) if handle else None,
            "p99": handle[min(len(handle) - 1, int(len(handle) * 0.99))] if handle else None,
            "max": handle[-1] if handle else None,
        }
        if detail:
            result["request_records"] = [asdict(r) for r in requests]
        return result


# -- gRPC ----------------------------------------------------------------------------------
def _grpc_export(
    receiver: OtlpReceiver, signal_name: str, request: Message, context: grpc.ServicerContext
) -> Message:
    started = time.perf_counter()
    try:
        receiver._admit()
    except ExportRejected as rejected:
        if rejected.retry_after is not None:
            delay = duration_pb2.Duration()
            delay.FromNanoseconds(int(rejected.retry_after * 1e9))
            info = error_details_pb2.RetryInfo(retry_delay=delay)
            context.set_trailing_metadata((("google.rpc.retryinfo-bin", info.SerializeToString()),))
        context.abort(grpc.StatusCode.UNAVAILABLE, str(rejected))
    if receiver._refused(signal_name, request):
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "refused by the test receiver")
    receiver._ingest(signal_name, "grpc", request, request.ByteSize(), started)
    return receiver._response(signal_name)


class _LogsServicer(logs_service_pb2_grpc.LogsServiceServicer):
    def __init__(self, receiver: OtlpReceiver) -> None:
        self._receiver = receiver

    def Export(self, request: Message, context: grpc.ServicerContext) -> Message:
        return _grpc_export(self._receiver, "logs", request, context)


class _TraceServicer(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, receiver: OtlpReceiver) -> None:
        self._receiver = receiver

    def Export(self, request: Message, context: grpc.ServicerContext) -> Message:
        return _grpc_export(self._receiver, "traces", request, context)


class _MetricsServicer(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, receiver: OtlpReceiver) -> None:
        self._receiver = receiver

    def Export(self, request: Message, context: grpc.ServicerContext) -> Message:
        return _grpc_export(self._receiver, "metrics", request, context)


# -- HTTP ----------------------------------------------------------------------------------
class _HttpServer(ThreadingHTTPServer):
    """Threading HTTP server that tracks its connections so ``down`` can cut keep-alive clients."""

    daemon_threads = True
    receiver: OtlpReceiver

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def drop_connections(self) -> None:
        with self.connections_lock:
            connections, self.connections = self.connections, set()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _HttpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/stats":
            self._reply(HTTPStatus.NOT_FOUND, b'{"error": "not found"}', "application/json")
            return
        detail = parse_qs(url.query).get("detail", ["0"])[0] not in ("0", "false", "")
        body = json.dumps(self.server.receiver.stats(detail=detail)).encode()
        self._reply(HTTPStatus.OK, body, "application/json")

    def do_POST(self) -> None:
        started = time.perf_counter()
        receiver = self.server.receiver
        raw = self._read_body()
        signal_name = {"/v1/logs": "logs", "/v1/traces": "traces", "/v1/metrics": "metrics"}.get(
            urlsplit(self.path).path
        )
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if signal_name is None:
            self._error(HTTPStatus.NOT_FOUND, "unknown path", content_type)
            return
        if content_type not in ("application/x-protobuf", "application/json"):
            receiver._count_bad_request()
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"unsupported content type {content_type!r}", "")
            return
        try:
            receiver._admit()
        except ExportRejected as rejected:
            headers = {}
            if rejected.retry_after is not None:
                headers["Retry-After"] = f"{rejected.retry_after:g}"
            self._error(HTTPStatus.SERVICE_UNAVAILABLE, str(rejected), content_type, headers)
            return
        try:
            body = self._decompress(raw)
            request = decode_request(signal_name, body, content_type)
        except (OSError, EOFError, zlib.error, ValueError) as exc:
            receiver._count_bad_request()
            self._error(HTTPStatus.BAD_REQUEST, str(exc), content_type)
            return
        if receiver._refused(signal_name, request):
            self._error(HTTPStatus.BAD_REQUEST, "refused by the test receiver", content_type)
            return
        encoding = (self.headers.get("Content-Encoding") or "identity").strip().lower()
        receiver._ingest(signal_name, "http", request, len(body), started, encoding)
        response = receiver._response(signal_name)
        if content_type == "application/json":
            self._reply(HTTPStatus.OK, json_format.MessageToJson(response).encode(), content_type)
        else:
            self._reply(HTTPStatus.OK, response.SerializeToString(), content_type)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _decompress(self, raw: bytes) -> bytes:
        encoding = (self.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding == "gzip":
            return gzip.decompress(raw)
        if encoding == "deflate":
            return zlib.decompress(raw)
        if encoding != "identity":
            raise ValueError(f"unsupported content encoding {encoding!r}")
        return raw

    def _error(
        self, status: HTTPStatus, message: str, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        code = (
            grpc.StatusCode.UNAVAILABLE
            if status == HTTPStatus.SERVICE_UNAVAILABLE
            else grpc.StatusCode.INVALID_ARGUMENT
        )
        rpc_status = status_pb2.Status(code=code.value[0], message=message)
        if content_type == "application/x-protobuf":
            self._reply(status, rpc_status.SerializeToString(), content_type, headers)
        else:
            body = json_format.MessageToJson(rpc_status).encode()
            self._reply(status, body, "application/json", headers)

    def _reply(
        self, status: HTTPStatus, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


# -- process entry point -------------------------------------------------------------------
def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.otlp_receiver", description="Test OTLP receiver (gRPC + HTTP) on 127.0.0.1."
    )
    parser.add_argument("--grpc-port", type=int, default=0, help="gRPC port (0 = a free port)")
    parser.add_argument("--http-port", type=int, default=0, help="HTTP port (0 = a free port)")
    parser.add_argument(
        "--count-only", action="store_true", help="keep counters and request records, not decoded data"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; print the endpoints first and the stats last, one JSON line each."""
    args = _parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with OtlpReceiver(args.grpc_port, args.http_port, keep_messages=not args.count_only) as receiver:
        print(json.dumps({"grpc_endpoint": receiver.grpc_endpoint, "http_endpoint": receiver.http_endpoint}))
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
        print(json.dumps(receiver.stats()))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
