"""Export worker: acknowledges only successful exports, backs off and retries failures."""

from __future__ import annotations

import time
from pathlib import Path

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExporter, NumberDataPoint

from otel_auth0.backoff import Backoff
from otel_auth0.config import DedupeConfig, QueueConfig
from otel_auth0.convert.mapping import EventConverter
from otel_auth0.convert.wire import Signal, encode_resource
from otel_auth0.exporters.base import ACCEPTED, FAILED, REJECTED, ExportOutcome, ExportResult, SignalExporter
from otel_auth0.instruments import Instruments
from otel_auth0.pipeline.worker import ExportWorker
from otel_auth0.state.queue import PersistentQueue


class FlakyExporter(SignalExporter):
    name = "flaky"
    bit = 1

    def __init__(self, failures: int, poison: bytes = b"\x00never\x00") -> None:
        self.failures = failures
        self.poison = poison
        self.delivered: list[ExportLogsServiceRequest] = []

    def export(self, signal: Signal, request: bytes, records: int) -> ExportResult:
        if self.failures:
            self.failures -= 1
            return FAILED
        decoded = ExportLogsServiceRequest.FromString(request)
        if self.poison in request:
            return REJECTED
        self.delivered.append(decoded)
        return ACCEPTED

    def metric_exporter(self) -> MetricExporter:
        raise NotImplementedError

    def shutdown(self) -> None:
        pass


def make_worker(tmp_path: Path, exporter: SignalExporter) -> tuple[PersistentQueue, ExportWorker]:
    queue = PersistentQueue(tmp_path / "q.sqlite3", 1, QueueConfig(), DedupeConfig())
    instruments = Instruments(MeterProvider().get_meter("test"))
    worker = ExportWorker(
        queue, exporter, encode_resource({"service.name": "t"}), "0", instruments, batch_size=2
    )
    return queue, worker


def events(n: int) -> list[dict[str, object]]:
    return [
        {"type": "s", "log_id": f"{i:056d}", "date": "2026-01-01T00:00:00Z", "description": "ok"}
        for i in range(n)
    ]


def test_failed_exports_stay_queued_until_acknowledged(tmp_path: Path) -> None:
    exporter = FlakyExporter(failures=2)
    queue, worker = make_worker(tmp_path, exporter)
    converter = EventConverter()
    queue.enqueue([converter.convert(e) for e in events(3)], "scope")
    assert worker.export_once() is None
    assert worker.export_once() is None
    assert worker.consecutive_failures == 2 and queue.size == 3
    assert worker.export_once() == 3
    assert queue.size == 0 and worker.consecutive_failures == 0
    ids = [
        attribute.value.string_value
        for record in exporter.delivered[0].resource_logs[0].scope_logs[0].log_records
        for attribute in record.attributes
        if attribute.key == "auth0.log.id"
    ]
    assert ids == [f"{i:056d}" for i in range(3)]


def test_worker_thread_drains(tmp_path: Path) -> None:
    exporter = FlakyExporter(failures=1)
    queue, worker = make_worker(tmp_path, exporter)
    converter = EventConverter()
    for chunk in range(3):
        queue.enqueue([converter.convert(e) for e in events(10)[chunk * 3 : chunk * 3 + 3]], "scope")
    worker._backoff = Backoff(initial=0.01, maximum=0.02)
    worker.start()
    assert worker.drain(time.monotonic() + 10)
    worker.stop(1)
    assert sum(len(r.resource_logs[0].scope_logs[0].log_records) for r in exporter.delivered) == 9


def test_backoff_grows_and_is_capped() -> None:
    backoff = Backoff(initial=1, maximum=8)
    delays = [backoff.next_delay() for _ in range(6)]
    assert all(0.5 <= d <= 8 for d in delays)
    assert delays[-1] >= 4  # capped ceiling 8, jitter keeps at least half
    backoff.reset()
    assert backoff.next_delay() <= 1


def test_a_refused_row_is_isolated_and_parked_while_the_rest_is_delivered(tmp_path: Path) -> None:
    exporter = FlakyExporter(failures=0, poison=b"POISONED")
    queue, worker = make_worker(tmp_path, exporter)
    converter = EventConverter()
    good = events(4)
    bad = {"type": "s", "log_id": "9" * 56, "date": "2026-01-01T00:00:00Z", "description": "POISONED"}
    queue.enqueue([converter.convert(good[0])], "scope")
    queue.enqueue([converter.convert(bad)], "scope")
    queue.enqueue([converter.convert(e) for e in good[1:]], "scope")
    for _ in range(6):
        worker.export_once()
    assert queue.size == 0
    assert queue.rejected_count() == 1
    delivered = [
        attribute.value.string_value
        for request in exporter.delivered
        for record in request.resource_logs[0].scope_logs[0].log_records
        for attribute in record.attributes
        if attribute.key == "auth0.log.id"
    ]
    assert sorted(delivered) == sorted(e["log_id"] for e in good)


class ScriptedExporter(SignalExporter):
    """Answers each export with the next scripted result."""

    name = "scripted"
    bit = 1

    def __init__(self, *results: ExportResult) -> None:
        self.results = list(results)

    def export(self, signal: Signal, request: bytes, records: int) -> ExportResult:
        return self.results.pop(0)

    def metric_exporter(self) -> MetricExporter:
        raise NotImplementedError

    def shutdown(self) -> None:
        pass


def counted(reader: InMemoryMetricReader, name: str) -> float:
    data = reader.get_metrics_data()
    assert data is not None
    return sum(
        point.value
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == name
        for point in metric.data.data_points
        if isinstance(point, NumberDataPoint)
    )


def test_a_backend_retry_delay_longer_than_the_backoff_reaches_the_worker(tmp_path: Path) -> None:
    exporter = ScriptedExporter(ExportResult(ExportOutcome.FAILED, retry_after=120.0), FAILED, ACCEPTED)
    queue, worker = make_worker(tmp_path, exporter)
    queue.enqueue([EventConverter().convert(e) for e in events(1)], "scope")
    assert worker.export_once() is None
    assert worker.retry_delay() >= 120.0  # beyond the backoff's cap and any request timeout
    assert worker.export_once() is None
    assert worker.retry_delay() < 120.0  # the backend asked only once
    assert worker.export_once() == 1


def test_a_partial_success_is_acknowledged_and_counted_not_retried(tmp_path: Path) -> None:
    exporter = ScriptedExporter(ExportResult(ExportOutcome.ACCEPTED, partially_rejected=2))
    queue = PersistentQueue(tmp_path / "q.sqlite3", 1, QueueConfig(), DedupeConfig())
    reader = InMemoryMetricReader()
    instruments = Instruments(MeterProvider(metric_readers=[reader]).get_meter("test"))
    worker = ExportWorker(queue, exporter, encode_resource({"service.name": "t"}), "0", instruments)
    queue.enqueue([EventConverter().convert(e) for e in events(5)], "scope")
    assert worker.export_once() == 5
    assert queue.size == 0 and not exporter.results
    assert counted(reader, "otel_auth0.export.partially_rejected") == 2
    assert counted(reader, "otel_auth0.export.records") == 3
