"""The test OTLP receiver decodes real SDK exports over gRPC and HTTP and simulates outages."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import LogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter

from tests.otlp_receiver import OtlpReceiver

RESOURCE = Resource.create({"service.name": "auth0", "auth0.tenant.name": "acme"})
PROTOCOLS = ["grpc", "http"]


def log_exporter(receiver: OtlpReceiver, protocol: str) -> LogRecordExporter:
    if protocol == "grpc":
        return GrpcLogExporter(endpoint=receiver.grpc_endpoint, insecure=True, timeout=5)
    return HttpLogExporter(
        endpoint=f"{receiver.http_endpoint}/v1/logs", timeout=5, compression=Compression.Gzip
    )


def emit_logs(exporter: LogRecordExporter, log_ids: list[str]) -> None:
    provider = LoggerProvider(resource=RESOURCE)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = provider.get_logger("otel_auth0.test")
    for log_id in log_ids:
        logger.emit(
            body=f"login {log_id}",
            event_name="auth0.log.s",
            attributes={"auth0.log.id": log_id, "auth0.log.type": "s", "retries": 2, "tags": ["a", "b"]},
        )
    provider.shutdown()


@pytest.fixture
def grpc_logs_stub(otlp_receiver: OtlpReceiver) -> Iterator[logs_service_pb2_grpc.LogsServiceStub]:
    with grpc.insecure_channel(otlp_receiver.grpc_endpoint.removeprefix("http://")) as channel:
        yield logs_service_pb2_grpc.LogsServiceStub(channel)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_logs_decode_with_attributes(otlp_receiver: OtlpReceiver, protocol: str) -> None:
    emit_logs(log_exporter(otlp_receiver, protocol), ["id-1", "id-2"])

    records = otlp_receiver.log_records()
    assert [r.record.body.string_value for r in records] == ["login id-1", "login id-2"]
    resource, scope, record = records[0]
    assert resource["service.name"] == "auth0"
    assert resource["auth0.tenant.name"] == "acme"
    assert scope == "otel_auth0.test"
    assert record.event_name == "auth0.log.s"
    assert otlp_receiver.log_attribute_values("auth0.log.id") == ["id-1", "id-2"]
    assert otlp_receiver.log_attribute_values("retries") == [2, 2]
    assert otlp_receiver.log_attribute_values("tags") == [["a", "b"], ["a", "b"]]
    assert otlp_receiver.log_record_count == 2
    assert otlp_receiver.requests[0].protocol == protocol
    assert otlp_receiver.requests[0].oldest_record_ns is not None


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_spans_decode(otlp_receiver: OtlpReceiver, protocol: str) -> None:
    exporter: SpanExporter = (
        GrpcSpanExporter(endpoint=otlp_receiver.grpc_endpoint, insecure=True, timeout=5)
        if protocol == "grpc"
        else HttpSpanExporter(endpoint=f"{otlp_receiver.http_endpoint}/v1/traces", timeout=5)
    )
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("probe").start_as_current_span("login") as parent:
        parent.set_attribute("auth0.connection", "db")
        with provider.get_tracer("probe").start_as_current_span("token"):
            pass
    provider.shutdown()

    spans = {s.span.name: s for s in otlp_receiver.spans()}
    assert set(spans) == {"login", "token"}
    assert spans["token"].span.parent_span_id == spans["login"].span.span_id
    assert spans["login"].scope == "probe"
    assert spans["login"].resource["service.name"] == "auth0"
    assert [kv.value.string_value for kv in spans["login"].span.attributes] == ["db"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_metric_points_flatten_sum_gauge_histogram(otlp_receiver: OtlpReceiver, protocol: str) -> None:
    reader = InMemoryMetricReader()
    meter = MeterProvider(resource=RESOURCE, metric_readers=[reader]).get_meter("health")
    meter.create_counter("auth0.events").add(3, {"auth0.log.type": "s"})
    meter.create_counter("auth0.events").add(2, {"auth0.log.type": "f"})
    meter.create_histogram("auth0.lag").record(1.5)
    meter.create_gauge("auth0.queue.size").set(7)
    data = reader.get_metrics_data()
    assert data is not None
    exporter: MetricExporter = (
        GrpcMetricExporter(endpoint=otlp_receiver.grpc_endpoint, insecure=True, timeout=5)
        if protocol == "grpc"
        else HttpMetricExporter(endpoint=f"{otlp_receiver.http_endpoint}/v1/metrics", timeout=5)
    )
    exporter.export(data)
    exporter.shutdown()

    events = {p.attributes["auth0.log.type"]: p for p in otlp_receiver.metric_points("auth0.events")}
    assert {k: (p.kind, p.value) for k, p in events.items()} == {"s": ("sum", 3.0), "f": ("sum", 2.0)}
    [lag] = otlp_receiver.metric_points("auth0.lag")
    assert (lag.kind, lag.value, lag.point.count) == ("histogram", 1.5, 1)
    [size] = otlp_receiver.metric_points("auth0.queue.size")
    assert (size.kind, size.value, size.resource["service.name"]) == ("gauge", 7.0, "auth0")
    assert otlp_receiver.metric_point_count == 4


def test_http_accepts_otlp_json_with_hex_ids(otlp_receiver: OtlpReceiver) -> None:
    body = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "auth0"}}]},
                "scopeSpans": [
                    {
                        "scope": {"name": "file"},
                        "spans": [
                            {
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                                "name": "login",
                                "kind": 2,
                                "startTimeUnixNano": "1",
                                "endTimeUnixNano": "2",
                            }
                        ],
                    }
                ],
            }
        ]
    }
    response = httpx.post(f"{otlp_receiver.http_endpoint}/v1/traces", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    [span] = otlp_receiver.spans()
    assert span.span.trace_id.hex() == "5b8efff798038103d269b633813fc60c"
    assert span.span.span_id.hex() == "eee19b7ec3c1b174"
    assert span.resource == {"service.name": "auth0"}


def test_http_bad_input_gets_clear_status_and_stores_nothing(otlp_receiver: OtlpReceiver) -> None:
    url = f"{otlp_receiver.http_endpoint}/v1/logs"
    garbage = httpx.post(url, content=b"\xff\xff\xff", headers={"Content-Type": "application/x-protobuf"})
    bad_gzip = httpx.post(
        url,
        content=b"not gzip",
        headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
    )
    wrong_type = httpx.post(url, content=b"hello", headers={"Content-Type": "text/plain"})
    wrong_path = httpx.post(f"{otlp_receiver.http_endpoint}/v1/nope", content=b"")
    assert [garbage.status_code, bad_gzip.status_code, wrong_type.status_code, wrong_path.status_code] == [
        400,
        400,
        415,
        404,
    ]
    assert "cannot decode OTLP logs request" in status_pb2.Status.FromString(garbage.content).message
    assert "unsupported content type 'text/plain'" in wrong_type.json()["message"]
    assert otlp_receiver.bad_request_count == 3
    assert otlp_receiver.request_count == 0
    assert otlp_receiver.log_records() == []


def test_http_gzip_protobuf_body(otlp_receiver: OtlpReceiver) -> None:
    request = logs_service_pb2.ExportLogsServiceRequest()
    request.resource_logs.add().scope_logs.add().log_records.add().body.string_value = "zipped"
    response = httpx.post(
        f"{otlp_receiver.http_endpoint}/v1/logs",
        content=gzip.compress(request.SerializeToString()),
        headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 200
    assert [r.record.body.string_value for r in otlp_receiver.log_records()] == ["zipped"]


def test_unavailable_http_returns_503_with_retry_after_then_recovers(otlp_receiver: OtlpReceiver) -> None:
    otlp_receiver.set_failure("unavailable", count=2, retry_after=3)
    url = f"{otlp_receiver.http_endpoint}/v1/logs"
    headers = {"Content-Type": "application/x-protobuf"}
    first = httpx.post(url, content=b"", headers=headers)
    second = httpx.post(url, content=b"", headers=headers)
    third = httpx.post(url, content=b"", headers=headers)
    assert (first.status_code, first.headers["retry-after"]) == (503, "3")
    assert second.status_code == 503
    assert third.status_code == 200
    assert (otlp_receiver.rejected_count, otlp_receiver.request_count) == (2, 1)
    assert otlp_receiver.failure_mode == "ok"


def test_unavailable_grpc_aborts_with_retry_info(
    otlp_receiver: OtlpReceiver, grpc_logs_stub: logs_service_pb2_grpc.LogsServiceStub
) -> None:
    otlp_receiver.set_failure("unavailable", retry_after=0.25)
    with pytest.raises(grpc.RpcError) as raised:
        grpc_logs_stub.Export(logs_service_pb2.ExportLogsServiceRequest())
    error = raised.value
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    info = error_details_pb2.RetryInfo.FromString(dict(error.trailing_metadata())["google.rpc.retryinfo-bin"])
    assert info.retry_delay.ToNanoseconds() == 250_000_000
    otlp_receiver.set_failure("ok")
    grpc_logs_stub.Export(logs_service_pb2.ExportLogsServiceRequest())
    assert (otlp_receiver.rejected_count, otlp_receiver.request_count) == (1, 1)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_sdk_exporter_retries_through_unavailable(otlp_receiver: OtlpReceiver, protocol: str) -> None:
    otlp_receiver.set_failure("unavailable", count=2, retry_after=0.05)
    emit_logs(log_exporter(otlp_receiver, protocol), ["after-outage"])
    assert otlp_receiver.rejected_count == 2
    assert otlp_receiver.log_attribute_values("auth0.log.id") == ["after-outage"]


def test_unavailable_for_a_duration_expires(otlp_receiver: OtlpReceiver) -> None:
    otlp_receiver.set_failure("unavailable", duration=0.2)
    assert otlp_receiver.failure_mode == "unavailable"
    assert otlp_receiver.wait_for(lambda: otlp_receiver.failure_mode == "ok", timeout=5)


def test_down_refuses_connections_and_restarts_on_same_ports(otlp_receiver: OtlpReceiver) -> None:
    endpoints = (otlp_receiver.grpc_endpoint, otlp_receiver.http_endpoint)
    url = f"{otlp_receiver.http_endpoint}/v1/logs"
    headers = {"Content-Type": "application/x-protobuf"}
    with httpx.Client() as keep_alive:
        assert keep_alive.post(url, content=b"", headers=headers).status_code == 200
        otlp_receiver.set_failure("down")
        assert not otlp_receiver.running
        with pytest.raises(httpx.TransportError):
            keep_alive.post(url, content=b"", headers=headers)
        with grpc.insecure_channel(otlp_receiver.grpc_endpoint.removeprefix("http://")) as channel:
            with pytest.raises(grpc.RpcError) as raised:
                logs_service_pb2_grpc.LogsServiceStub(channel).Export(
                    logs_service_pb2.ExportLogsServiceRequest(), timeout=2
                )
            assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        otlp_receiver.restart()
        assert (otlp_receiver.grpc_endpoint, otlp_receiver.http_endpoint) == endpoints
        assert keep_alive.post(url, content=b"", headers=headers).status_code == 200
    emit_logs(log_exporter(otlp_receiver, "grpc"), ["back"])
    assert otlp_receiver.log_attribute_values("auth0.log.id") == ["back"]


def test_down_for_a_duration_comes_back_and_sdk_export_succeeds(otlp_receiver: OtlpReceiver) -> None:
    otlp_receiver.set_failure("down", duration=0.3)
    emit_logs(log_exporter(otlp_receiver, "http"), ["late"])
    assert otlp_receiver.running
    assert otlp_receiver.log_attribute_values("auth0.log.id") == ["late"]


def test_count_only_keeps_counters_not_messages() -> None:
    with OtlpReceiver(keep_messages=False) as receiver:
        emit_logs(log_exporter(receiver, "http"), ["a", "b", "c"])
        stats = httpx.get(f"{receiver.http_endpoint}/stats", params={"detail": "1"}).json()
        assert receiver.log_records() == []
    assert stats["log_records"] == 3
    assert stats["requests"] == 3
    assert stats["handle_seconds"]["max"] is not None
    assert [r["items"] for r in stats["request_records"]] == [1, 1, 1]
    assert all(r["signal"] == "logs" for r in stats["request_records"])
