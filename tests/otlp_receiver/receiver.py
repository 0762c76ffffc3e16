"""The test OTLP receiver: gRPC and HTTP servers on loopback, a thread-safe store, outage simulation."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import asdict
from types import TracebackType
from typing import Any

import grpc
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.logs.v1.logs_pb2 import ResourceLogs
from opentelemetry.proto.metrics.v1.metrics_pb2 import ResourceMetrics
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans

from tests.otlp_receiver.grpc_service import _LogsServicer, _MetricsServicer, _TraceServicer
from tests.otlp_receiver.http_service import _HttpHandler, _HttpServer
from tests.otlp_receiver.records import (
    _PARTIAL_FIELDS,
    _RESPONSE_TYPES,
    HOST,
    ExportRejected,
    FailureMode,
    MetricPoint,
    ReceivedLog,
    ReceivedSpan,
    RequestRecord,
    T,
    _point_value,
    _points_of,
    _record_time_range,
    any_value,
    attributes,
)


class OtlpReceiver:
    """Test OTLP backend: gRPC and HTTP servers on 127.0.0.1 (or ``host``) with outage control.

    ``keep_messages=False`` (count-only) keeps counters and per-request records but no decoded data.
    """

    def __init__(
        self, grpc_port: int = 0, http_port: int = 0, keep_messages: bool = True, host: str = HOST
    ) -> None:
        self.keep_messages = keep_messages
        self.host = host
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
        return f"http://{self.host}:{self._grpc_port}"

    @property
    def http_endpoint(self) -> str:
        """Base URL for HTTP exporters; clients append ``/v1/logs`` etc."""
        return f"http://{self.host}:{self._http_port}"

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
        port = server.add_insecure_port(f"{self.host}:{self._grpc_port}")
        if port == 0:
            raise OSError(f"cannot bind gRPC port {self.host}:{self._grpc_port}")
        server.start()
        self._grpc_server, self._grpc_port = server, port
        http_server = _HttpServer((self.host, self._http_port), _HttpHandler)
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
