"""(e) Memory: peak RSS of ``otel-auth0 run`` with 1 M events in its persistent queue while the OTLP
backend is unreachable (new events still arriving over log_stream), then while the queue drains."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

from bench.events import bodies, stream_items
from bench.processes import REPO_ROOT, collector, otlp_http, otlp_receiver
from otel_auth0.local_ports import free_port

TOKEN = "bench-log-stream-token"
MB = 1024 * 1024


class RssSampler:
    """Samples a process's resident set size in a background thread; tracks the peak per phase."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self._process = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peak = 0
        self.last = 0

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.last = self._process.memory_info().rss
            except psutil.Error:
                return
            self.peak = max(self.peak, self.last)
            self._stop.wait(self._interval)

    def start_phase(self) -> None:
        """Start a new peak."""
        self.peak = self.last

    @contextmanager
    def running(self) -> Iterator[RssSampler]:
        """Sample while the block runs."""
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


def _fill(config_path: Path, events: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.fill_queue", "--config", str(config_path)]
    command += ["--events", str(events)]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def measure(
    workdir: Path, events: int = 1_000_000, live_events: int = 5000, drain_seconds: float = 90.0
) -> dict[str, Any]:
    """Fill the queue, run the collector against an unreachable backend, then let it drain."""
    backend_port, stream_port = free_port(), free_port()
    config = {
        "state_dir": str(workdir / "state"),
        "queue": {"max_items": 5 * events + 100_000, "max_bytes": 8 * 1024**3, "max_backoff": "2s"},
        "receivers": {"log_stream": {"listen": f"127.0.0.1:{stream_port}", "token": TOKEN}},
        "exporters": otlp_http(f"http://127.0.0.1:{backend_port}"),
        # The queue's memory is measured: detection records would only add to the drained count.
        "processors": {"detections": {"enabled": False}},
    }
    config_path = workdir / "fill.yaml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    filled = _fill(config_path, events)
    stream_url = f"http://127.0.0.1:{stream_port}"
    with collector(config, workdir) as process, RssSampler(process.pid).running() as rss:
        started = time.monotonic()
        process.wait_healthy(f"{stream_url}/healthz")
        startup_seconds = time.monotonic() - started
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        with httpx.Client(headers=headers, timeout=60.0) as client:
            for body in bodies(stream_items(live_events, seed=11)):
                client.post(f"{stream_url}/auth0/logs", content=body).raise_for_status()
        time.sleep(2.0)
        queued_peak, queued_last = rss.peak, rss.last
        rss.start_phase()
        with otlp_receiver(http_port=backend_port) as receiver:
            drain_started = time.monotonic()
            stats = receiver.wait_for_logs(events + live_events, timeout=drain_seconds)
            drain_elapsed = time.monotonic() - drain_started
            process.check_alive()
        draining_peak = rss.peak
    drained = stats["log_records"] + stats["spans"]
    return {
        "events_queued": events + live_events,
        "records_queued": filled["records"],
        "fill_seconds": round(filled["seconds"], 1),
        "queue_file_mb": round(sum(p.stat().st_size for p in (workdir / "state").glob("queue*")) / MB, 1),
        "startup_seconds": round(startup_seconds, 2),
        "peak_rss_mb_queued": round(queued_peak / MB, 1),
        "rss_mb_queued_idle": round(queued_last / MB, 1),
        "peak_rss_mb_draining": round(draining_peak / MB, 1),
        "drain_seconds": round(drain_elapsed, 1),
        "drained_log_records": stats["log_records"],
        "drained_records_per_s": round(drained / drain_elapsed, 1) if drain_elapsed > 0 else 0.0,
    }
