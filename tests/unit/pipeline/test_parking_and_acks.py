"""One bad event is parked and the rest of its batch goes on; acknowledgements that cannot be written
are kept in memory and nothing acknowledged is sent again."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExporter

from otel_auth0.config import DedupeConfig, QueueConfig
from otel_auth0.convert.mapping import EventConverter
from otel_auth0.convert.wire import Signal, encode_resource
from otel_auth0.exporters.base import ACCEPTED, ExportResult, SignalExporter
from otel_auth0.instruments import Instruments
from otel_auth0.pipeline.intake import Intake
from otel_auth0.pipeline.worker import ExportWorker
from otel_auth0.state.queue import PersistentQueue, QueuedBatch, StorageError


def log_id(n: int) -> str:
    return f"90020261129000000{n:039d}"


def event(n: int, **fields: Any) -> dict[str, Any]:
    return {"log_id": log_id(n), "type": "s", "date": "2026-11-29T00:00:00Z", **fields}


def nested(depth: int) -> dict[str, Any]:
    """Details nested deeper than the interpreter recurses: a conversion that cannot succeed."""
    node: dict[str, Any] = {}
    for _ in range(depth):
        node = {"n": node}
    return node


def counter_points(reader: InMemoryMetricReader, name: str) -> dict[tuple[tuple[str, Any], ...], int]:
    data = reader.get_metrics_data()
    points: dict[tuple[tuple[str, Any], ...], int] = {}
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    for point in metric.data.data_points:
                        points[tuple(sorted(point.attributes.items()))] = int(point.value)
    return points


def test_an_unconvertible_event_is_parked_counted_and_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reader = InMemoryMetricReader()
    instruments = Instruments(MeterProvider(metric_readers=[reader]).get_meter("test"))
    queue = PersistentQueue(tmp_path / "q.sqlite3", 1)
    intake = Intake(queue, EventConverter("t"), instruments)
    batch = [event(1), event(2, details=nested(5000)), event(3)]
    with caplog.at_level(logging.WARNING):
        result = intake.submit_events(batch, "logs_api", ("logs_api.cursor", log_id(3)))
    assert (result.accepted, result.parked) == (2, 1)
    assert queue.has_seen(log_id(3)) and not queue.has_seen(log_id(2))
    checkpoint = queue.get_checkpoint("logs_api.cursor")
    assert checkpoint is not None and checkpoint.value == log_id(3)
    [(receiver, parked_id, reason, text)] = queue.dead_letters()
    assert (receiver, parked_id, reason) == ("logs_api", log_id(2), "conversion_failed")
    assert text.startswith('{"log_id": "' + log_id(2)) and "RecursionError" in text
    key = (("otel_auth0.reason", "conversion_failed"), ("otel_auth0.receiver", "logs_api"))
    assert counter_points(reader, "otel_auth0.receiver.rejected_events") == {key: 1}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and log_id(2) in warnings[0] and "RecursionError" in warnings[0]


class CountingExporter(SignalExporter):
    name = "counting"
    bit = 1

    def __init__(self) -> None:
        self.delivered: list[str] = []

    def export(self, signal: Signal, request: bytes, records: int) -> ExportResult:
        decoded = ExportLogsServiceRequest.FromString(request)
        for resource in decoded.resource_logs:
            for scope in resource.scope_logs:
                self.delivered += [record.body.string_value for record in scope.log_records]
        return ACCEPTED

    def metric_exporter(self) -> MetricExporter:
        raise NotImplementedError

    def shutdown(self) -> None:
        pass


def test_acknowledgements_that_cannot_be_written_are_kept_and_nothing_is_sent_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = PersistentQueue(tmp_path / "q.sqlite3", 1, QueueConfig(), DedupeConfig())
    instruments = Instruments(MeterProvider().get_meter("test"))
    intake = Intake(queue, EventConverter("t"), instruments)
    intake.submit_events([event(n, description=f"e{n}") for n in range(6)], "log_stream")
    exporter = CountingExporter()
    worker = ExportWorker(
        queue, exporter, encode_resource({"service.name": "t"}), "0", instruments, batch_size=2
    )
    disk_full = True
    real_ack = queue.ack

    def ack(batches: list[QueuedBatch], bit: int) -> None:
        if disk_full:
            raise StorageError("cannot record an acknowledgement: database or disk is full")
        real_ack(batches, bit)

    monkeypatch.setattr(queue, "ack", ack)
    for _ in range(6):
        worker.export_once()
    assert sorted(exporter.delivered) == [f"e{n}" for n in range(6)]  # each once, none again
    assert queue.size == 6  # nothing recorded on disk yet
    disk_full = False
    assert worker.export_once() == 0
    assert queue.size == 0 and sorted(exporter.delivered) == [f"e{n}" for n in range(6)]


def test_rejected_events_start_at_zero_for_every_reason() -> None:
    reader = InMemoryMetricReader()
    instruments = Instruments(MeterProvider(metric_readers=[reader]).get_meter("test"))
    instruments.start_at_zero(["otlp"], ["log_stream"])
    assert counter_points(reader, "otel_auth0.receiver.rejected_events") == {
        (("otel_auth0.reason", reason), ("otel_auth0.receiver", "log_stream")): 0
        for reason in ("bad_item", "conversion_failed")
    }
