"""Simulator ↔ ``otel-auth0 run`` (logs_api) ↔ test OTLP receiver, all real processes and sockets."""

from __future__ import annotations

import ipaddress
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.collector_process import run_cli, running_collector, write_config
from tests.otlp_receiver import OtlpReceiver

pytestmark = pytest.mark.integration


def collector_config(
    tmp_path: Path,
    sim: SimulatorHandle,
    receiver: OtlpReceiver,
    protocol: str = "http/protobuf",
    **logs_api: Any,
) -> Path:
    endpoint = receiver.grpc_endpoint if protocol == "grpc" else receiver.http_endpoint
    info = sim.info
    return write_config(
        tmp_path / "config.yaml",
        {
            "auth0": {
                "domain": info["domain"],
                "scheme": info["scheme"],
                "ca_file": info["ca_file"],
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
            },
            "state_dir": str(tmp_path / "state"),
            "receivers": {"logs_api": {"interval": "200ms", "start_from": "oldest", **logs_api}},
            "exporters": {"otlp": {"endpoint": endpoint, "protocol": protocol, "insecure": True}},
            "telemetry": {"metrics_interval": "500ms"},
            "queue": {"max_backoff": "1s"},
        },
    )


def received_ids(receiver: OtlpReceiver) -> list[str]:
    return [str(value) for value in receiver.log_attribute_values("auth0.log.id")]


def sim_get(sim: SimulatorHandle, path: str) -> Any:
    return httpx.get(f"{sim.base_url}{path}", verify=sim.verify, timeout=10).json()


def logs_requests(sim: SimulatorHandle) -> int:
    """``GET /api/v2/logs`` requests the simulator answered so far."""
    return sum(sim_get(sim, "/_sim/stats")["requests"].get("/api/v2/logs", {}).values())


def sim_post(sim: SimulatorHandle, path: str, body: Any) -> Any:
    response = httpx.post(f"{sim.base_url}{path}", json=body, verify=sim.verify, timeout=10)
    response.raise_for_status()
    return response.json()


def wait_for_ids(receiver: OtlpReceiver, expected: set[str], timeout: float = 60.0) -> None:
    assert receiver.wait_for(lambda: expected <= set(received_ids(receiver)), timeout), (
        f"missing {len(expected - set(received_ids(receiver)))} of {len(expected)} log ids"
    )


def test_every_generated_event_arrives_exactly_once(tmp_path: Path, otlp_receiver: OtlpReceiver) -> None:
    with running_simulator(
        "--no-tls", "--events-per-second", "0", "--seed", "11", "--state-dir", str(tmp_path / "sim")
    ) as sim:
        generated = set(sim_post(sim, "/_sim/events", {"generate": 250})["log_ids"])
        with running_collector(collector_config(tmp_path, sim, otlp_receiver)) as collector:
            wait_for_ids(otlp_receiver, generated)
            assert collector.terminate() == 0
        ids = received_ids(otlp_receiver)
        assert Counter(ids).most_common(1)[0][1] == 1, "a log id arrived twice"
        assert set(ids) == generated
        records = [r for _, _, r in otlp_receiver.log_records() if r.event_name.startswith("auth0.log.")]
        with_address = 0
        for record in records:
            values = {attribute.key: attribute.value.string_value for attribute in record.attributes}
            assert {"auth0.log.type", "auth0.log.id", "auth0.tenant.name"} <= values.keys()
            # Not every event type carries an IP; those that do map it to client.address.
            if "client.address" in values:
                ipaddress.ip_address(values["client.address"])
                with_address += 1
        assert with_address > 0, "no record carried client.address"
        resource_attributes = otlp_receiver.log_records()[0][0]
        assert resource_attributes["service.name"] == "auth0"
        assert resource_attributes["auth0.domain"] == sim.info["domain"]


def test_restart_mid_stream_leaves_no_gap_and_no_duplicate(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    args = (
        "--no-tls",
        "--events-per-second",
        "50",
        "--max-events",
        "600",
        "--state-dir",
        str(tmp_path / "sim"),
    )
    with running_simulator(*args) as sim:
        config = collector_config(tmp_path, sim, otlp_receiver, take=50)
        for _ in range(3):
            before, polled = len(received_ids(otlp_receiver)), logs_requests(sim)
            with running_collector(config) as collector:
                # Running (it polled, so past start-up, where SIGTERM would end the interpreter before the
                # collector's handler exists), and new events arrived unless all had.
                assert otlp_receiver.wait_for(
                    lambda before=before, polled=polled: (
                        logs_requests(sim) > polled
                        and (len(received_ids(otlp_receiver)) > before or before == 600)
                    ),
                    60,
                )
                time.sleep(0.5)
                assert collector.terminate() == 0, collector.stderr_text()
        with running_collector(config):
            assert otlp_receiver.wait_for(lambda: sim_get(sim, "/_sim/stats")["generated"] >= 600, 30)
            wait_for_ids(otlp_receiver, set(sim_get(sim, "/_sim/log-ids")["log_ids"]))
        ids = received_ids(otlp_receiver)
        assert len(ids) == len(set(ids)) == 600


def test_rate_limits_and_server_errors_are_waited_out(tmp_path: Path, otlp_receiver: OtlpReceiver) -> None:
    args = (
        "--no-tls",
        "--events-per-second",
        "0",
        "--mgmt-rate-limit",
        "2",
        "--state-dir",
        str(tmp_path / "sim"),
    )
    with running_simulator(*args) as sim:
        generated = set(sim_post(sim, "/_sim/events", {"generate": 200})["log_ids"])
        sim_post(sim, "/_sim/faults", {"path_prefix": "/api/v2/logs", "status": 503, "count": 2})
        sim_post(sim, "/_sim/faults", {"path_prefix": "/api/v2/logs", "status": 429, "count": 1})
        config = collector_config(tmp_path, sim, otlp_receiver, take=25, max_backoff="2s")
        with running_collector(config):
            wait_for_ids(otlp_receiver, generated, timeout=90)
        stats = sim_get(sim, "/_sim/stats")
        statuses = Counter()
        for by_status in stats["requests"].values():
            for status, count in by_status.items():
                statuses[str(status)] += count
        assert statuses["503"] >= 2 and statuses["429"] >= 1
        ids = received_ids(otlp_receiver)
        assert len(ids) == len(set(ids)) == 200
        # the poller paced itself on x-ratelimit-*: far fewer 429s than pages
        assert statuses["429"] <= 5


def test_grpc_exporter_delivers(tmp_path: Path, otlp_receiver: OtlpReceiver) -> None:
    with running_simulator("--events-per-second", "0", "--state-dir", str(tmp_path / "sim")) as sim:
        generated = set(sim_post(sim, "/_sim/events", {"generate": 40})["log_ids"])
        with running_collector(collector_config(tmp_path, sim, otlp_receiver, protocol="grpc")):
            wait_for_ids(otlp_receiver, generated)
        assert otlp_receiver.wait_for(lambda: bool(otlp_receiver.metric_points("auth0.log.events")), 10)


def test_bad_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "auth0: {domain: t.us.auth0.com, client_id: a, client_secret: b}\n"
        "receivers:\n  logs_api: {take: 1000}\n"
    )
    result = run_cli("run", "--config", str(path))
    assert result.returncode == 2
    assert "receivers.logs_api.take" in result.stderr
    assert "Traceback" not in result.stderr
    missing = run_cli("run", "--config", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "cannot read configuration file" in missing.stderr
