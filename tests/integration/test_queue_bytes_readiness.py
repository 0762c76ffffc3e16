"""``/readyz`` and the queue self-metrics use both caps (issue 25.11): with a small ``queue.max_bytes``
and a huge ``queue.max_items``, a queue filling up by bytes makes ``/readyz`` answer 503 before the
Log Stream is refused, and ``/metrics`` carries the bytes and the fill ratio. Real process, real
sockets; the exporter's backend is a closed loopback port."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.integration.log_stream_process import (
    as_array,
    free_port,
    items,
    post_items,
    running_collector,
    stream_config,
    write_config,
)

pytestmark = pytest.mark.integration


def _reasons(health_port: int) -> list[str]:
    answer = httpx.get(f"http://127.0.0.1:{health_port}/readyz", timeout=5)
    return list(answer.json().get("reasons", [])) if answer.status_code == 503 else []


def test_readyz_reports_a_queue_nearly_full_by_bytes(tmp_path: Path) -> None:
    port, health_port = free_port(), free_port()
    config = {
        "state_dir": str(tmp_path / "state"),
        "receivers": {"log_stream": stream_config(port)},
        "exporters": {"otlp": {"endpoint": f"http://127.0.0.1:{free_port()}", "timeout": "1s"}},
        "queue": {"max_items": 10_000_000, "max_bytes": 1024 * 1024},
        "telemetry": {"listen": f"127.0.0.1:{health_port}", "metrics_interval": "1s"},
    }
    path = write_config(tmp_path / "config.yaml", config)
    with running_collector(path, tmp_path / "collector.log", port) as collector:
        refused = 0
        deadline = time.monotonic() + 120
        while not any("bytes" in reason for reason in _reasons(health_port)):
            assert time.monotonic() < deadline, "the queue never showed as nearly full"
            batch = items(20)
            for item in batch:
                item["data"]["description"] = "x" * 3000
            status = post_items(collector.stream_url, as_array(batch)).status_code
            assert status in (200, 503)
            refused += status == 503
        # Not ready before (or at the latest when) the stream is refused: the records are far below
        # max_items, so only the byte cap can say so.
        assert refused <= 1
        metrics = httpx.get(f"http://127.0.0.1:{health_port}/metrics", timeout=5).text
    assert "otel_auth0_queue_bytes" in metrics
    assert "otel_auth0_queue_fill_ratio" in metrics
    assert "otel_auth0_queue_capacity_bytes" in metrics
