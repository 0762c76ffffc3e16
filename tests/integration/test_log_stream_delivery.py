"""Delivery through ``otel-auth0 run``: simulator push in every format, hybrid gap-filling, backend
outage and graceful shutdown — real processes, real sockets."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.integration.log_stream_process import (
    TOKEN,
    as_array,
    free_port,
    hybrid_config,
    items,
    otlp_exporter,
    post_items,
    running_collector,
    stream_config,
    write_config,
)
from tests.otlp_receiver import OtlpReceiver

pytestmark = pytest.mark.integration


def received_ids(backend: OtlpReceiver) -> list[str]:
    return [str(value) for value in backend.log_attribute_values("auth0.log.id")]


def sim_get(sim: SimulatorHandle, path: str) -> Any:
    return httpx.get(f"{sim.base_url}{path}", timeout=10).json()


def sim_post(sim: SimulatorHandle, path: str, body: Any) -> Any:
    response = httpx.post(f"{sim.base_url}{path}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def log_polls(sim: SimulatorHandle) -> int:
    """Requests the simulator answered on ``/api/v2/logs``."""
    return sum(sim_get(sim, "/_sim/stats")["requests"].get("/api/v2/logs", {}).values())


def stream_cursor(sim: SimulatorHandle) -> str | None:
    """The last log id the simulator's Log Stream delivered."""
    cursor: str | None = sim_get(sim, "/_sim/stats")["stream"]["cursor"]
    return cursor


def simulator_args(tmp_path: Path, port: int, fmt: str, rate: int, total: int) -> list[str]:
    return [
        "--no-tls",
        "--state-dir",
        str(tmp_path / "sim"),
        "--events-per-second",
        str(rate),
        "--max-events",
        str(total),
        "--log-stream-url",
        f"http://127.0.0.1:{port}/auth0/logs",
        "--log-stream-token",
        TOKEN,
        "--log-stream-format",
        fmt,
        "--log-stream-batch-size",
        "20",
    ]


def all_generated(sim: SimulatorHandle, total: int, backend: OtlpReceiver) -> set[str]:
    """Wait until the simulator generated ``total`` events; their log ids."""
    backend.wait_for(lambda: sim_get(sim, "/_sim/stats")["generated"] >= total, timeout=60)
    return set(sim_get(sim, "/_sim/log-ids")["log_ids"])


def assert_exactly_once(backend: OtlpReceiver, expected: set[str]) -> None:
    backend.wait_for(lambda: expected <= set(received_ids(backend)), timeout=60)
    counts = Counter(received_ids(backend))
    assert {log_id for log_id in expected if counts[log_id] != 1} == set()


FORMATS = [("jsonarray", "http/protobuf"), ("jsonlines", "grpc"), ("jsonobject", "http/protobuf")]


@pytest.mark.parametrize(("fmt", "protocol"), FORMATS)
def test_simulator_stream_in_each_format_arrives_once(
    tmp_path: Path, otlp_receiver: OtlpReceiver, fmt: str, protocol: str
) -> None:
    port = free_port()
    endpoint = otlp_receiver.grpc_endpoint if protocol == "grpc" else otlp_receiver.http_endpoint
    config = {
        "state_dir": str(tmp_path / "state"),
        "receivers": {"log_stream": stream_config(port)},
        "exporters": {"otlp": otlp_exporter(endpoint, protocol)},
    }
    path = write_config(tmp_path / "config.yaml", config)
    with (
        running_collector(path, tmp_path / "collector.log", port) as collector,
        running_simulator(*simulator_args(tmp_path, port, fmt, rate=500, total=60)) as sim,
    ):
        generated = all_generated(sim, 60, otlp_receiver)
        assert_exactly_once(otlp_receiver, generated)
        assert sim_get(sim, "/_sim/stats")["stream"]["failures"] == 0
        assert collector.terminate() == 0


def gap_filler_idle(log_text: str) -> bool:
    """Whether the collector's log says the gap-filler is idle: it never started filling, or it said
    the stream is healthy again after it last did."""
    filling = log_text.rfind("filling gaps")
    return filling < 0 or log_text.rfind("log stream healthy again") > filling


TOTAL = 1500


def test_hybrid_poller_fills_the_gap_while_stream_paused(tmp_path: Path, otlp_receiver: OtlpReceiver) -> None:
    port = free_port()
    # 60 s of events at 25/s: the stream is still generating when it is paused, whatever the load.
    with running_simulator(*simulator_args(tmp_path, port, "jsonarray", rate=25, total=TOTAL)) as sim:
        # 15 s: far beyond how far the stream falls behind on a loaded machine, so "healthy" is not a race.
        config = hybrid_config(
            sim.info, tmp_path / "state", port, otlp_receiver.http_endpoint, gap_fill_after="15s"
        )
        path = write_config(tmp_path / "config.yaml", config)
        with running_collector(path, tmp_path / "collector.log", port) as collector:
            # Once it has read the history before the stream (issue 20.1), and while the stream is
            # healthy, the poller leaves the Management API alone.
            history_read = "caught up with the tenant's history"
            otlp_receiver.wait_for(lambda: history_read in collector.stderr_text(), timeout=60)
            otlp_receiver.wait_for(lambda: len(received_ids(otlp_receiver)) >= 40, timeout=30)
            # The stream may start behind (it backs off while the collector starts): the poller fills
            # until the collector says the stream is healthy, then leaves the Management API alone.
            otlp_receiver.wait_for(lambda: gap_filler_idle(collector.stderr_text()), timeout=60)
            # Simulated events are dated 1-4 s before ingestion, like Auth0's: well within the 15 s.
            polls_before, count = log_polls(sim), len(received_ids(otlp_receiver))
            otlp_receiver.wait_for(lambda: len(received_ids(otlp_receiver)) >= count + 50, timeout=30)
            assert log_polls(sim) == polls_before

            sim_post(sim, "/_sim/stream", {"paused": True})
            time.sleep(0.3)  # let a POST already under way finish
            cursor = stream_cursor(sim) or ""

            def filled_after_pause() -> int:
                return sum(1 for log_id in received_ids(otlp_receiver) if log_id > cursor)

            otlp_receiver.wait_for(lambda: filled_after_pause() >= 30, timeout=90)
            assert stream_cursor(sim) == cursor  # the stream is still paused: the poller did it
            sim_post(sim, "/_sim/stream", {"paused": False})

            generated = all_generated(sim, TOTAL, otlp_receiver)
            otlp_receiver.wait_for(lambda: stream_cursor(sim) == max(generated), 60)
            assert_exactly_once(otlp_receiver, generated)
            assert len(received_ids(otlp_receiver)) == len(generated)
            assert collector.terminate() == 0


def test_backend_outage_loses_nothing_queue_drains(tmp_path: Path, otlp_receiver: OtlpReceiver) -> None:
    port = free_port()
    config = {
        "state_dir": str(tmp_path / "state"),
        "receivers": {"log_stream": stream_config(port)},
        "exporters": {"otlp": otlp_exporter(otlp_receiver.grpc_endpoint, "grpc")},
        "queue": {"max_backoff": "1s"},
        "telemetry": {"metrics_interval": "500ms"},
    }
    path = write_config(tmp_path / "config.yaml", config)
    sent: set[str] = set()

    def post(count: int) -> None:
        batch = items(count)
        response = post_items(f"http://127.0.0.1:{port}/auth0/logs", as_array(batch))
        assert response.status_code == 200, response.text
        sent.update(item["log_id"] for item in batch)

    with running_collector(path, tmp_path / "collector.log", port) as collector:
        post(20)
        otlp_receiver.wait_for(lambda: sent <= set(received_ids(otlp_receiver)), timeout=30)
        otlp_receiver.set_failure("unavailable", retry_after=0.2)
        for _ in range(3):
            post(15)
        otlp_receiver.wait_for(lambda: otlp_receiver.rejected_count >= 3, timeout=30)
        otlp_receiver.set_failure("down")
        for _ in range(3):
            post(15)
        time.sleep(1.0)  # exports keep failing against closed ports for a while
        otlp_receiver.restart()
        assert_exactly_once(otlp_receiver, sent)
        assert collector.terminate() == 0
    assert len(received_ids(otlp_receiver)) == len(sent) == 110

    def last(name: str) -> float:
        """The newest value of every series of ``name`` (e.g. each signal), summed."""
        points = sorted(otlp_receiver.metric_points(name), key=lambda p: p.point.time_unix_nano)
        assert points, f"no {name} points"
        newest = {tuple(sorted(p.attributes.items())): float(p.value or 0.0) for p in points}
        return sum(newest.values())

    assert last("otel_auth0.queue.size") == 0
    assert last("otel_auth0.queue.dropped") == 0
    assert last("otel_auth0.export.failures") >= 1
    assert last("otel_auth0.export.retries") >= 1


def test_sigterm_answers_503_keeps_queued_data_and_second_signal_exits_at_once(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    port = free_port()
    config = {
        "state_dir": str(tmp_path / "state"),
        "receivers": {"log_stream": stream_config(port, retry_after="7s")},
        "exporters": {"otlp": otlp_exporter(otlp_receiver.http_endpoint)},
        "queue": {"shutdown_deadline": "3s", "max_backoff": "500ms"},
    }
    path = write_config(tmp_path / "config.yaml", config)
    url = f"http://127.0.0.1:{port}/auth0/logs"
    first, second = items(25), items(25)

    def answers_503() -> httpx.Response | None:
        try:
            response = post_items(url, as_array(items(1)))
        except httpx.HTTPError:
            return None
        return response if response.status_code == 503 else None

    otlp_receiver.set_failure("down")
    with running_collector(path, tmp_path / "collector.log", port) as collector:
        assert post_items(url, as_array(first)).status_code == 200
        collector.process.send_signal(15)
        refused = otlp_receiver.wait_for(answers_503, timeout=30)
        assert refused.headers["Retry-After"] == "7"
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 503
        assert collector.process.wait(60) == 0  # deadline passed with records queued: kept on disk

    with running_collector(path, tmp_path / "collector.log", port) as collector:
        assert post_items(url, as_array(second)).status_code == 200
        collector.process.send_signal(15)
        otlp_receiver.wait_for(answers_503, timeout=30)
        collector.process.send_signal(15)
        assert collector.process.wait(30) == 130

    otlp_receiver.restart()
    with running_collector(path, tmp_path / "collector.log", port) as collector:
        assert_exactly_once(otlp_receiver, {item["log_id"] for item in [*first, *second]})
        assert collector.terminate() == 0
