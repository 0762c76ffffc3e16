"""OTLP/HTTP answers map to accepted / retry / rejected (a real HTTP server on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from otel_auth0.config import OtlpExporterConfig
from otel_auth0.convert.wire import Signal, build_request, encode_resource, encode_scope
from otel_auth0.exporters.base import ExportOutcome
from otel_auth0.exporters.otlp import OtlpExporter
from tests.support.http_server import serving


class Answer:
    status = 200


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(Answer.status)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    with serving(Handler) as base:
        yield base


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, ExportOutcome.ACCEPTED),
        (400, ExportOutcome.REJECTED),
        (401, ExportOutcome.FAILED),
        (408, ExportOutcome.FAILED),
        (413, ExportOutcome.REJECTED),
        (429, ExportOutcome.FAILED),
        (500, ExportOutcome.FAILED),
        (502, ExportOutcome.FAILED),
        (503, ExportOutcome.FAILED),
        (504, ExportOutcome.FAILED),
    ],
)
def test_http_status_classification(endpoint: str, status: int, outcome: ExportOutcome) -> None:
    Answer.status = status
    exporter = OtlpExporter(OtlpExporterConfig(endpoint=endpoint, protocol="http/protobuf", timeout=5), {})
    request = build_request(Signal.LOGS, encode_resource({}), [(encode_scope("s", "1"), b"")])
    try:
        assert exporter.export(Signal.LOGS, request, 0).outcome is outcome
    finally:
        exporter.shutdown()
