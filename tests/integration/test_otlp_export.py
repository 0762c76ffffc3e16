"""The OTLP exporter against the test OTLP receiver over loopback, both protocols: the export worker
and the SQLite queue on disk are the real ones, export attempts are driven one at a time."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.protobuf.message import Message
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint

from otel_auth0.config import OtlpExporterConfig
from otel_auth0.convert.mapping import EventConverter
from otel_auth0.convert.wire import encode_resource
from otel_auth0.exporters.otlp import OtlpExporter
from otel_auth0.instruments import Instruments
from otel_auth0.pipeline.worker import ExportWorker
from otel_auth0.state.queue import PersistentQueue
from tests.otlp_receiver import OtlpReceiver

pytestmark = pytest.mark.integration

PROTOCOLS = ["http/protobuf", "grpc"]
CONVERTER = EventConverter()


def event(index: int, description: str = "ok") -> dict[str, object]:
    return {
        "type": "s",
        "log_id": f"{index:056d}",
        "date": "2026-01-01T00:00:00Z",
        "description": description,
    }


@dataclass
class Pipeline:
    queue: PersistentQueue
    worker: ExportWorker
    reader: InMemoryMetricReader

    def enqueue(self, *events: dict[str, object]) -> None:
        """One queue row holding ``events``."""
        self.queue.enqueue([CONVERTER.convert(e) for e in events], "scope")

    def counted(self, name: str) -> float:
        data = self.reader.get_metrics_data()
        return sum(
            point.value
            for resource in (data.resource_metrics if data else [])
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points
            if isinstance(point, NumberDataPoint)
        )


Build = Callable[..., Pipeline]


@pytest.fixture
def pipeline_for(tmp_path: Path, otlp_receiver: OtlpReceiver) -> Iterator[Build]:
    exporters: list[OtlpExporter] = []
    queues: list[PersistentQueue] = []

    def build(protocol: str, compression: str = "none") -> Pipeline:
        endpoint = otlp_receiver.grpc_endpoint if protocol == "grpc" else otlp_receiver.http_endpoint
        config = OtlpExporterConfig(endpoint=endpoint, protocol=protocol, compression=compression, timeout=30)
        exporter = OtlpExporter(config, environ={})
        queue = PersistentQueue(tmp_path / f"queue-{len(queues)}.sqlite3", exporter.bit)
        exporters.append(exporter)
        queues.append(queue)
        reader = InMemoryMetricReader()
        instruments = Instruments(MeterProvider(metric_readers=[reader]).get_meter("test"))
        worker = ExportWorker(queue, exporter, encode_resource({"service.name": "t"}), "0", instruments)
        return Pipeline(queue, worker, reader)

    yield build
    for exporter in exporters:
        exporter.shutdown()
    for queue in queues:
        queue.close()


def log_ids(receiver: OtlpReceiver) -> list[str]:
    return [str(value) for value in receiver.log_attribute_values("auth0.log.id")]


@pytest.mark.parametrize("compression", ["none", "gzip"])
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_delivery(pipeline_for: Build, otlp_receiver: OtlpReceiver, protocol: str, compression: str) -> None:
    pipeline: Pipeline = pipeline_for(protocol, compression)
    pipeline.enqueue(*(event(i) for i in range(5)))
    assert pipeline.worker.export_once() == 5
    assert pipeline.queue.size == 0
    assert log_ids(otlp_receiver) == [f"{i:056d}" for i in range(5)]
    assert [r.protocol for r in otlp_receiver.requests] == ["grpc" if protocol == "grpc" else "http"]
    if protocol == "http/protobuf":
        assert otlp_receiver.requests[0].content_encoding == ("gzip" if compression == "gzip" else "identity")
    assert pipeline.counted("otel_auth0.export.records") == 5


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_unavailable_then_success_waits_as_long_as_the_backend_asks(
    pipeline_for: Build, otlp_receiver: OtlpReceiver, protocol: str
) -> None:
    pipeline: Pipeline = pipeline_for(protocol)
    pipeline.enqueue(*(event(i) for i in range(3)))
    otlp_receiver.set_failure("unavailable", count=1, retry_after=90)
    assert pipeline.worker.export_once() is None
    assert pipeline.queue.size == 3 and otlp_receiver.rejected_count == 1
    # 90 s: longer than the request timeout (30 s) and than the backoff's first steps.
    assert pipeline.worker.retry_delay() >= 90
    assert pipeline.worker.export_once() == 3
    assert pipeline.queue.size == 0
    assert log_ids(otlp_receiver) == [f"{i:056d}" for i in range(3)]
    assert pipeline.counted("otel_auth0.export.failures") == 1


def refuses_poison(signal: str, request: Message) -> bool:
    return b"POISON" in request.SerializeToString()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_permanently_refused_row_is_parked_and_the_rest_delivered(
    pipeline_for: Build, otlp_receiver: OtlpReceiver, protocol: str
) -> None:
    pipeline: Pipeline = pipeline_for(protocol)
    otlp_receiver.set_refusal(refuses_poison)
    pipeline.enqueue(event(0), event(1))
    pipeline.enqueue(event(2, "POISON"))
    pipeline.enqueue(event(3))
    for _ in range(10):
        if pipeline.queue.size == 0:
            break
        pipeline.worker.export_once()
    assert pipeline.queue.size == 0
    assert pipeline.queue.rejected_count() == 1
    assert sorted(log_ids(otlp_receiver)) == [f"{i:056d}" for i in (0, 1, 3)]
    # The whole request, then the poisoned row on its own.
    assert otlp_receiver.refused_count == 2
    assert pipeline.counted("otel_auth0.export.rejected") == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_partial_success_is_counted_and_logged_once_not_retried(
    pipeline_for: Build, otlp_receiver: OtlpReceiver, protocol: str, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline: Pipeline = pipeline_for(protocol)
    otlp_receiver.set_partial_success(2, "2 records older than the retention")
    pipeline.enqueue(*(event(i) for i in range(4)))
    with caplog.at_level(logging.WARNING, logger="otel_auth0.exporters"):
        assert pipeline.worker.export_once() == 4
        assert pipeline.worker.export_once() == 0
    assert pipeline.queue.size == 0 and otlp_receiver.request_count == 1
    assert pipeline.counted("otel_auth0.export.partially_rejected") == 2
    assert pipeline.counted("otel_auth0.export.records") == 2
    warnings = [r.getMessage() for r in caplog.records if "older than the retention" in r.getMessage()]
    assert len(warnings) == 1 and "dropped 2 logs" in warnings[0]
