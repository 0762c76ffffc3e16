"""(c) The full pipeline: ``otel-auth0 run`` with log_stream → persistent queue → OTLP/HTTP export to the
count-only test receiver, under sustained load from a separate client process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil

from bench.processes import REPO_ROOT, collector, otlp_http, otlp_receiver
from bench.result import percentile
from otel_auth0.local_ports import free_port

TOKEN = "bench-log-stream-token"


def _delivery_latencies(records: list[dict[str, Any]]) -> list[float]:
    """Per logs export request: receive time minus the oldest record's observed (intake) time."""
    return [
        record["received_at"] - record["oldest_record_ns"] / 1e9
        for record in records
        if record["signal"] == "logs" and record["oldest_record_ns"]
    ]


def _cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def measure(
    workdir: Path, seconds: float = 20.0, concurrency: int = 4, batch: int = 100, detections: bool = False
) -> dict[str, Any]:
    """Post for ``seconds``, wait until the receiver has every accepted event, and summarise; with
    ``detections`` the default detection rules run (as shipped), else they are switched off."""
    with otlp_receiver() as receiver:
        port = free_port()
        config = {
            "receivers": {"log_stream": {"listen": f"127.0.0.1:{port}", "token": TOKEN}},
            "exporters": otlp_http(receiver.http_endpoint),
            "processors": {"detections": {"enabled": detections}},
        }
        with collector(config, workdir) as process:
            process.wait_healthy(f"http://127.0.0.1:{port}/healthz")
            cpu_before = {
                "collector": _cpu_seconds(process.pid),
                "receiver": _cpu_seconds(receiver.process.pid),
            }
            client = subprocess.run(
                [
                    sys.executable, "-m", "bench.load_client",
                    "--url", f"http://127.0.0.1:{port}/auth0/logs",
                    "--token", TOKEN,
                    "--seconds", str(seconds),
                    "--concurrency", str(concurrency),
                    "--batch", str(batch),
                ],
                cwd=REPO_ROOT, capture_output=True, text=True, check=True,
            )  # fmt: skip
            load = json.loads(client.stdout.splitlines()[-1])
            receiver.wait_for_logs(load["events_accepted"], timeout=120.0)
            process.check_alive()
            cpu = {
                "collector": _cpu_seconds(process.pid) - cpu_before["collector"],
                "receiver": _cpu_seconds(receiver.process.pid) - cpu_before["receiver"],
                "load_client": load["cpu_seconds"],
            }
            stats = receiver.stats(detail=True)
    records = stats.pop("request_records")
    log_requests = [r for r in records if r["signal"] == "logs"]
    last = max((r["received_at"] for r in log_requests), default=load["finished_at"])
    elapsed = last - load["started_at"]
    delivery = _delivery_latencies(records)
    return {
        "events_per_s": stats["log_records"] / elapsed if elapsed > 0 else 0.0,
        "events_sent": load["events_sent"],
        "events_accepted": load["events_accepted"],
        "events_received": stats["log_records"],
        "spans_received": stats["spans"],
        "seconds": elapsed,
        "intake_requests": load["requests"],
        "intake_statuses": load["statuses"],
        "intake_latency_p50_ms": _ms(load["latency_p50_s"]),
        "intake_latency_p99_ms": _ms(load["latency_p99_s"]),
        "export_requests": len(records),
        "delivery_latency_p50_ms": _ms(percentile(delivery, 0.50)),
        "delivery_latency_p99_ms": _ms(percentile(delivery, 0.99)),
        "receiver_handle_p50_ms": _ms(stats["handle_seconds"]["p50"]),
        "receiver_handle_p99_ms": _ms(stats["handle_seconds"]["p99"]),
        "cpu_seconds": {name: round(value, 2) for name, value in cpu.items()},
        "collector_events_per_cpu_s": stats["log_records"] / cpu["collector"] if cpu["collector"] else 0.0,
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)
