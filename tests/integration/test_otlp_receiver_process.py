"""The test OTLP receiver runs as its own process, reports stats on GET /stats and on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import LogRecordExporter, SimpleLogRecordProcessor

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def send_logs(exporter: LogRecordExporter, count: int) -> None:
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = provider.get_logger("process-test")
    for index in range(count):
        logger.emit(body=f"event {index}")
    provider.shutdown()


def test_count_only_process_reports_counts() -> None:
    command = [sys.executable, "-m", "tests.otlp_receiver", "--grpc-port", "0", "--http-port", "0"]
    with subprocess.Popen(
        [*command, "--count-only"], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        try:
            endpoints = json.loads(process.stdout.readline())
            assert endpoints["grpc_endpoint"].startswith("http://127.0.0.1:")
            assert endpoints["http_endpoint"].startswith("http://127.0.0.1:")
            send_logs(GrpcLogExporter(endpoint=endpoints["grpc_endpoint"], insecure=True, timeout=5), 2)
            send_logs(HttpLogExporter(endpoint=f"{endpoints['http_endpoint']}/v1/logs", timeout=5), 3)
            live = httpx.get(f"{endpoints['http_endpoint']}/stats").json()
            process.send_signal(signal.SIGTERM)
            final = json.loads(process.stdout.readline())
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
    assert (live["requests"], live["log_records"]) == (5, 5)
    assert (final["requests"], final["log_records"], final["rejected"]) == (5, 5, 0)
    assert final["first_request_at"] <= final["last_request_at"]
