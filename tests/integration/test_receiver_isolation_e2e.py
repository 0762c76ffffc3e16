"""A real ``otel-auth0 run``: the status receiver's feed is unreachable (retried with backoff and
counted) while the logs_api receiver keeps delivering every event."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from otel_auth0.local_ports import free_port
from otel_auth0_sim.process import running_simulator
from tests.collector_process import running_collector, write_config
from tests.integration.test_logs_api_e2e import collector_config, received_ids, sim_post, wait_for_ids
from tests.otlp_receiver import OtlpReceiver

pytestmark = pytest.mark.integration


def status_errors(receiver: OtlpReceiver) -> float:
    """The newest cumulative ``otel_auth0.receiver.errors`` of the status receiver (network errors)."""
    values = [
        point.value or 0.0
        for point in receiver.metric_points("otel_auth0.receiver.errors")
        if point.attributes.get("otel_auth0.receiver") == "status"
        and point.attributes.get("error.type") == "network"
    ]
    return max(values, default=0.0)


def test_a_dead_status_feed_does_not_stop_the_logs(tmp_path: Path, otlp_receiver: OtlpReceiver) -> None:
    with running_simulator(
        "--no-tls", "--events-per-second", "0", "--state-dir", str(tmp_path / "sim")
    ) as sim:
        path = collector_config(tmp_path, sim, otlp_receiver)
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        dead_feed = f"http://127.0.0.1:{free_port()}/feed"
        config["receivers"]["status"] = {"url": dead_feed, "interval": "200ms"}
        write_config(path, config)
        first = set(sim_post(sim, "/_sim/events", {"generate": 60})["log_ids"])
        with running_collector(path) as collector:
            wait_for_ids(otlp_receiver, first)
            assert otlp_receiver.wait_for(lambda: status_errors(otlp_receiver) >= 2, 60), (
                collector.stderr_text()
            )
            failures_so_far = status_errors(otlp_receiver)
            second = set(sim_post(sim, "/_sim/events", {"generate": 40})["log_ids"])
            wait_for_ids(otlp_receiver, first | second)
            assert otlp_receiver.wait_for(lambda: status_errors(otlp_receiver) > failures_so_far, 60)
            assert collector.terminate() == 0, collector.stderr_text()
        assert sorted(received_ids(otlp_receiver)) == sorted(first | second)
        restarts = otlp_receiver.metric_points("otel_auth0.receiver.restarts")
        assert not any(point.value for point in restarts), "an expected failure is retried, not restarted"
