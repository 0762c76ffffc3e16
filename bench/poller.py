"""(d) Poller catch-up: ``otel-auth0 run`` with logs_api (take 100, start_from oldest) draining a backlog
from the simulator limited to ``R`` Management API requests/second; the bound is ``R * 100`` events/s."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from bench.processes import collector, otlp_http, otlp_receiver
from otel_auth0_sim.process import running_simulator

TAKE = 100


def _logs_requests(stats: dict[str, Any]) -> int:
    return sum(stats["requests"].get("/api/v2/logs", {}).values())


def measure(workdir: Path, rate_limit: int = 5, seconds_at_bound: float = 20.0) -> dict[str, Any]:
    """Inject ``rate_limit * 100 * seconds_at_bound`` events, then time the collector's catch-up."""
    backlog = int(rate_limit * TAKE * seconds_at_bound)
    simulator_args = (
        "--no-tls", "--events-per-second", "0", "--seed", "3",
        "--mgmt-rate-limit", str(rate_limit), "--state-dir", str(workdir / "simulator"),
    )  # fmt: skip
    with running_simulator(*simulator_args) as simulator, otlp_receiver() as receiver:
        control = httpx.Client(base_url=simulator.base_url, timeout=120.0)
        for start in range(0, backlog, 5000):
            control.post("/_sim/events", json={"generate": min(5000, backlog - start)}).raise_for_status()
        info = simulator.info
        config = {
            "auth0": {
                "domain": info["domain"],
                "scheme": info["scheme"],
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
            },
            "receivers": {"logs_api": {"take": TAKE, "start_from": "oldest"}},
            "exporters": otlp_http(receiver.http_endpoint),
        }
        with collector(config, workdir) as process:
            first_request_at = None
            while first_request_at is None:
                process.check_alive()
                if _logs_requests(control.get("/_sim/stats").json()):
                    first_request_at = time.time()
                else:
                    time.sleep(0.02)
            receiver.wait_for_logs(backlog, timeout=seconds_at_bound * 5 + 30)
            process.check_alive()
            stats = receiver.stats(detail=True)
            simulator_stats = control.get("/_sim/stats").json()
    logs = [r for r in stats["request_records"] if r["signal"] == "logs"]
    done_at = max((r["received_at"] for r in logs), default=time.time())
    elapsed = done_at - first_request_at
    bound = rate_limit * TAKE
    rate = stats["log_records"] / elapsed if elapsed > 0 else 0.0
    return {
        "rate_limit_rps": rate_limit,
        "bound_events_per_s": bound,
        "backlog": backlog,
        "events_received": stats["log_records"],
        "seconds": elapsed,
        "events_per_s": rate,
        "ratio": rate / bound,
        "logs_api_requests": _logs_requests(simulator_stats),
        "responses_429": simulator_stats["rate_limited"],
    }
