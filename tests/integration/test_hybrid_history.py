"""Issue 20.1: hybrid mode (logs_api + log_stream) exports the tenant's history before the stream's first
event. The ``large`` tenant holds 5,410 stored events; its Log Stream carries only new events (as a real
one, created after them), and one fresh event is pushed down the stream: all 5,411 reach the OTLP
receiver exactly once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest

from otel_auth0_sim.process import running_simulator
from tests.collector_process import running_collector
from tests.integration.log_stream_process import TOKEN, free_port, hybrid_config, write_config
from tests.otlp_receiver import OtlpReceiver

pytestmark = pytest.mark.integration

HISTORY = 5410


def received_ids(receiver: OtlpReceiver) -> list[str]:
    return [str(value) for value in receiver.log_attribute_values("auth0.log.id")]


def test_large_tenant_history_and_pushed_event_arrive_exactly_once(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    port = free_port()
    sim_args = [
        "--no-tls",
        "--profile",
        "large",
        "--seed",
        "20",
        "--events-per-second",
        "0",
        "--mgmt-rate-limit",
        "50",
        "--state-dir",
        str(tmp_path / "sim"),
        "--log-stream-url",
        f"http://127.0.0.1:{port}/auth0/logs",
        "--log-stream-token",
        TOKEN,
    ]
    with running_simulator(*sim_args) as sim:
        history = set(httpx.get(f"{sim.base_url}/_sim/log-ids", timeout=30).json()["log_ids"])
        assert len(history) == HISTORY
        # gap_fill_after is long: before the fix the poller waited for it, then started at the stream's
        # position and never read the history.
        config = hybrid_config(
            sim.info, tmp_path / "state", port, otlp_receiver.http_endpoint, take=100, gap_fill_after="10m"
        )
        with running_collector(write_config(tmp_path / "config.yaml", config), stream_port=port):
            pushed = httpx.post(f"{sim.base_url}/_sim/events", json={"generate": 1}, timeout=10).json()
            fresh = set(pushed["log_ids"])
            assert len(fresh) == 1 and not fresh & history
            # The fresh event goes down the stream; none of the history does (a real stream's behaviour).
            assert otlp_receiver.wait_for(lambda: fresh <= set(received_ids(otlp_receiver)), 60)
            stream = httpx.get(f"{sim.base_url}/_sim/stats", timeout=10).json()["stream"]
            assert stream["delivered"] == 1
            expected = history | fresh
            assert otlp_receiver.wait_for(lambda: expected <= set(received_ids(otlp_receiver)), 240), (
                f"missing {len(expected - set(received_ids(otlp_receiver)))} of {len(expected)} log ids"
            )
        counts = Counter(received_ids(otlp_receiver))
        assert set(counts) == expected
        assert [log_id for log_id, count in counts.items() if count != 1] == []
