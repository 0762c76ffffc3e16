"""OTLP/HTTP sender against a scripted server on loopback: what goes on the wire, how answers map."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from otel_auth0.config import OtlpExporterConfig
from otel_auth0.convert.wire import Signal, build_request, encode_resource, encode_scope
from otel_auth0.exporters.base import ExportOutcome, ExportResult
from otel_auth0.exporters.otlp import OtlpExporter
from tests.support.http_server import serving

REQUEST = build_request(Signal.LOGS, encode_resource({"service.name": "t"}), [(encode_scope("s", "1"), b"")])


@dataclass
class Script:
    status: int = 200
    content_type: str = "application/x-protobuf"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            script.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(script.status)
            self.send_header("Content-Type", script.content_type)
            self.send_header("Content-Length", str(len(script.body)))
            for name, value in script.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(script.body)

        def log_message(self, *args: object) -> None:
            pass

    with serving(Handler) as base:
        yield base, script


def export(environ: dict[str, str], config: OtlpExporterConfig | None = None) -> ExportResult:
    exporter = OtlpExporter(config or OtlpExporterConfig(), environ)
    try:
        return exporter.export(Signal.LOGS, REQUEST, 1)
    finally:
        exporter.shutdown()


def test_per_signal_endpoint_decoded_headers_and_gzip_reach_the_wire(server: tuple[str, Script]) -> None:
    base, script = server
    result = export(
        {
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": f"{base}/custom/logs",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=s3cret%20key%3D%3D,X-Tenant=t%2C1",
            "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION": "gzip",
        }
    )
    assert result.outcome is ExportOutcome.ACCEPTED
    [(path, headers, body)] = script.seen
    assert path == "/custom/logs"
    assert headers["x-api-key"] == "s3cret key=="
    assert headers["x-tenant"] == "t,1"
    assert headers["content-type"] == "application/x-protobuf"
    assert headers["content-encoding"] == "gzip"
    assert headers["user-agent"].startswith("otel-auth0/")
    assert ExportLogsServiceRequest.FromString(gzip.decompress(body)) == ExportLogsServiceRequest.FromString(
        REQUEST
    )


def test_a_json_partial_success_is_read(server: tuple[str, Script]) -> None:
    base, script = server
    script.content_type = "application/json"
    script.body = b'{"partialSuccess": {"rejectedLogRecords": "1", "errorMessage": "too old"}}'
    result = export({}, OtlpExporterConfig(endpoint=base))
    assert result == ExportResult(ExportOutcome.ACCEPTED, partially_rejected=1)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/plain", b"ok"), ("application/x-protobuf", b"\xff\xff\xff"), ("application/json", b"not json")],
)
def test_any_2xx_body_that_is_not_an_otlp_response_is_still_a_success(
    server: tuple[str, Script], content_type: str, body: bytes
) -> None:
    base, script = server
    script.content_type, script.body = content_type, body
    assert export({}, OtlpExporterConfig(endpoint=base)) == ExportResult(ExportOutcome.ACCEPTED)


def test_retry_after_is_carried_to_the_worker(server: tuple[str, Script]) -> None:
    base, script = server
    script.status, script.headers = 429, {"Retry-After": "300"}
    # Far longer than the request timeout: the exporter returns at once and reports the delay.
    result = export({"OTEL_EXPORTER_OTLP_TIMEOUT": "2000"}, OtlpExporterConfig(endpoint=base))
    assert result == ExportResult(ExportOutcome.FAILED, retry_after=300.0)


def test_an_unreachable_backend_is_a_transient_failure() -> None:
    with socket.socket() as bound_not_listening:  # connections to it are refused while it is held
        bound_not_listening.bind(("127.0.0.1", 0))
        config = OtlpExporterConfig(
            endpoint=f"http://127.0.0.1:{bound_not_listening.getsockname()[1]}", timeout=5
        )
        assert export({}, config) == ExportResult(ExportOutcome.FAILED)
