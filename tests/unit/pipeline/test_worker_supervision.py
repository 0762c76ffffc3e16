"""Every wait of the export worker is bounded by ``max_retry_wait``, and no exception ends its thread:
the supervisor restarts the loop and counts it (issue 25.1)."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from otel_auth0.config import DedupeConfig, QueueConfig
from otel_auth0.convert.mapping import EventConverter
from otel_auth0.convert.wire import encode_resource
from otel_auth0.exporters.base import ACCEPTED, ExportOutcome, ExportResult
from otel_auth0.exporters.otlp_outcomes import retry_after_seconds
from otel_auth0.instruments import Instruments
from otel_auth0.pipeline.worker import ExportWorker
from otel_auth0.state.queue import PersistentQueue, StorageError
from tests.unit.pipeline.test_worker import ScriptedExporter, counted, events


def _worker(
    tmp_path: Path, exporter: ScriptedExporter, **options: Any
) -> tuple[ExportWorker, InMemoryMetricReader]:
    queue = PersistentQueue(tmp_path / "q.sqlite3", 1, QueueConfig(), DedupeConfig())
    queue.enqueue([EventConverter().convert(e) for e in events(3)], "scope")
    reader = InMemoryMetricReader()
    instruments = Instruments(MeterProvider(metric_readers=[reader]).get_meter("test"))
    worker = ExportWorker(
        queue, exporter, encode_resource({"service.name": "t"}), "0", instruments, **options
    )
    return worker, reader


def _wait(condition: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


@pytest.mark.parametrize("header", ["Fri, 31 Dec 9999 23:59:59 GMT", "9999999999", "1e400", "nan", "3600"])
def test_any_retry_after_is_capped_by_max_retry_wait(tmp_path: Path, header: str) -> None:
    requested = retry_after_seconds(header)
    assert requested is not None and requested >= 3600
    failed = ExportResult(ExportOutcome.FAILED, retry_after=requested)
    worker, _ = _worker(tmp_path, ScriptedExporter(failed), max_retry_wait=7.0)
    assert worker.export_once() is None
    assert worker.retry_delay() == 7.0


def test_retry_after_reads_any_size_without_raising() -> None:
    assert retry_after_seconds("Fri, 31 Dec 9999 23:59:59 GMT", now=0.0) == 253402300799.0
    assert retry_after_seconds("99999999999999999999999") == 1e23
    assert retry_after_seconds("1e999") == math.inf
    assert retry_after_seconds("nan") == math.inf  # not "no wait at all"
    assert retry_after_seconds("Mon, 99 Foo 99999999 99:99:99 GMT") is None


def test_a_huge_announced_wait_does_not_end_the_thread_and_delivery_resumes(tmp_path: Path) -> None:
    failed = ExportResult(ExportOutcome.FAILED, retry_after=retry_after_seconds("9999999999"))
    exporter = ScriptedExporter(failed, ACCEPTED)
    worker, _ = _worker(tmp_path, exporter, max_retry_wait=0.2)
    worker.start()
    try:
        _wait(lambda: not worker.pending())
    finally:
        worker.stop(timeout=10)
    assert exporter.results == []


def test_an_exception_escaping_the_loop_restarts_it_and_is_counted(tmp_path: Path) -> None:
    exporter = ScriptedExporter(ExportResult(ExportOutcome.FAILED), ACCEPTED)
    worker, reader = _worker(tmp_path, exporter, max_backoff=0.2)
    retries = worker._instruments.export_retries
    blown = threading.Event()

    class Exploding:
        """The retry counter raises once: an exception outside the loop's own try."""

        def add(self, amount: int, attributes: Any = None) -> None:
            if not blown.is_set():
                blown.set()
                raise RuntimeError("instrument broke")
            retries.add(amount, attributes)

    worker._instruments.export_retries = Exploding()  # type: ignore[assignment]
    worker.start()
    try:
        _wait(lambda: blown.is_set() and not worker.pending())
    finally:
        worker.stop(timeout=10)
    assert worker.restarts == 1
    assert counted(reader, "otel_auth0.exporter.worker_restarts") == 1


def test_drain_returns_at_the_deadline_when_the_queue_cannot_be_read(tmp_path: Path) -> None:
    """Shutdown with the state database down: drain says "not drained" instead of raising, so the
    exporters, the metric flush and the queue are still closed after it."""
    worker, _ = _worker(tmp_path, ScriptedExporter())
    reads = []

    def unreadable(*args: Any, **kwargs: Any) -> Any:
        reads.append(args)
        raise StorageError("state database unreachable or failing: connection refused")

    worker._queue.peek = unreadable  # type: ignore[method-assign]
    assert worker.drain(time.monotonic() + 0.2) is False
    assert len(reads) >= 2  # it kept asking until the deadline
