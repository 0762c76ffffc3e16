"""Memory stays within the documented budget (docs/operations.md) whatever the Log Stream's
concurrency: 10 clients posting 10 MB bodies of small events at once — a real process, its peak
resident set (``VmHWM``) read from /proc."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from otel_auth0_sim.log_ids import LogIdGenerator
from tests.integration.log_stream_process import (
    TOKEN,
    free_port,
    otlp_exporter,
    running_collector,
    stream_config,
    write_config,
)
from tests.otlp_receiver import OtlpReceiver

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the peak RSS from /proc"),
]

# The budget documented in docs/operations.md ("Memory").
BUDGET_MB = 400
CLIENTS = 10
BODY_BYTES = 10_000_000
EVENT_PADDING = 100


def body(ids: LogIdGenerator) -> bytes:
    """A JSON-array body (parsed whole: the costliest format) of just under ``BODY_BYTES``."""
    lines: list[bytes] = []
    size = 0
    while True:
        log_id = ids.next_id()
        event = {
            "log_id": log_id,
            "type": "s",
            "date": "2026-11-29T01:02:03.456Z",
            "description": "x" * EVENT_PADDING,
        }
        line = json.dumps({"log_id": log_id, "data": event}).encode()
        if size + len(line) + 2 > BODY_BYTES:
            return b"[" + b",".join(lines) + b"]"
        lines.append(line)
        size += len(line) + 1


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


def deliver(url: str, payload: bytes, results: list[int]) -> None:
    """POST until accepted, honouring 503 + Retry-After as Auth0 does."""
    headers = {"Authorization": TOKEN, "Content-Type": "application/json"}
    for _ in range(100):
        response = httpx.post(url, content=payload, headers=headers, timeout=300)
        if response.status_code == 200:
            results.append(response.json()["accepted"])
            return
        assert response.status_code == 503, response.text
        time.sleep(float(response.headers.get("Retry-After", "1")))
    raise AssertionError("never accepted")


def test_concurrent_large_bodies_stay_within_the_memory_budget(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    ids = LogIdGenerator()
    bodies = [body(ids) for _ in range(CLIENTS)]
    events = sum(len(json.loads(payload)) for payload in bodies)
    port = free_port()
    config = {
        "state_dir": str(tmp_path / "state"),
        "receivers": {"log_stream": stream_config(port, retry_after="1s", body_timeout="120s")},
        "exporters": {"otlp": otlp_exporter(otlp_receiver.http_endpoint)},
    }
    path = write_config(tmp_path / "config.yaml", config)
    with running_collector(path, tmp_path / "collector.log", port) as collector:
        results: list[int] = []
        threads = [
            threading.Thread(target=deliver, args=(collector.stream_url, payload, results))
            for payload in bodies
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(f"{events} events in {time.monotonic() - started:.1f}s")
        assert sum(results) == events
        peak = peak_rss_mb(collector.process.pid)
        print(f"peak RSS {peak:.0f} MB")
    assert peak < BUDGET_MB, f"peak RSS {peak:.0f} MB exceeds the documented {BUDGET_MB} MB"
