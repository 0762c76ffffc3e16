"""``otel-auth0 probe`` and the probe/endpoint/status/notices receivers against a real simulator
process over HTTPS with its CA, exporting to the test OTLP receiver."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.collector_process import run_cli, running_collector, write_config
from tests.otlp_receiver import OtlpReceiver, any_value
from tests.support.sim_config import login_probe

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    state_dir = tmp_path_factory.mktemp("sim")
    with running_simulator("--events-per-second", "0", "--state-dir", str(state_dir)) as handle:
        yield handle


def sim_call(sim: SimulatorHandle, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{sim.base_url}{path}", json=body, verify=sim.verify, timeout=10)
    response.raise_for_status()
    return response.json()


def probe_flags(sim: SimulatorHandle, password: str | None = None, ca: bool = True) -> list[str]:
    info = sim.info
    user = info["test_users"][0]
    flags = [
        "--domain", info["domain"],
        "--client-id", info["probe_client"]["client_id"],
        "--client-secret", info["probe_client"]["client_secret"],
        "--username", user["username"],
        "--password", password or user["password"],
    ]  # fmt: skip
    return [*flags, "--ca-file", info["ca_file"]] if ca else flags


def token_requests(sim: SimulatorHandle) -> int:
    counts = sim_call(sim, "GET", "/_sim/auth")["token_requests_by_user"]
    return int(counts.get(sim.info["test_users"][0]["username"], 0))


def attrs(pairs: Any) -> dict[str, Any]:
    return {pair.key: any_value(pair.value) for pair in pairs}


def test_probe_succeeds_and_exports_its_trace_and_metrics(
    sim: SimulatorHandle, otlp_receiver: OtlpReceiver, tmp_path: Path
) -> None:
    done = run_cli(
        "probe", *probe_flags(sim), "--userinfo", "--json",
        "--state-dir", str(tmp_path), "--otlp-endpoint", otlp_receiver.http_endpoint,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] and result["exported"]
    assert [s["step"] for s in result["steps"]] == ["discovery", "token", "id_token", "userinfo"]
    assert {"connect", "tls", "ttfb"} <= set(result["steps"][0]["phases_s"])

    spans = [s.span for s in otlp_receiver.spans() if s.scope == "otel_auth0.login_probe"]
    (root,) = [s for s in spans if not s.parent_span_id]
    children = {s.name: s for s in spans if s.parent_span_id == root.span_id}
    assert set(children) == {
        f"auth0.login_probe.{step}" for step in ("discovery", "token", "id_token", "userinfo")
    }
    assert all(s.trace_id == root.trace_id for s in spans)
    assert attrs(root.attributes)["user_agent.synthetic.type"] == "test"
    assert attrs(children["auth0.login_probe.token"].attributes)["http.response.status_code"] == 200
    (log,) = [r.record for r in otlp_receiver.log_records() if r.scope == "otel_auth0.login_probe"]
    assert log.event_name == "auth0.probe.run" and log.trace_id == root.trace_id

    assert [p.value for p in otlp_receiver.metric_points("auth0.probe.success")] == [1]
    steps = {p.attributes["auth0.probe.step"] for p in otlp_receiver.metric_points("auth0.probe.duration")}
    assert steps == {"login", "discovery", "token", "id_token", "userinfo"}


def test_tls_needs_the_custom_ca(sim: SimulatorHandle, tmp_path: Path) -> None:
    done = run_cli("probe", *probe_flags(sim, ca=False), "--json", "--state-dir", str(tmp_path))
    assert done.returncode == 1
    assert json.loads(done.stdout)["error_type"] == "tls"


def test_wrong_password_stops_before_the_lockout(sim: SimulatorHandle, tmp_path: Path) -> None:
    before = token_requests(sim)
    try:
        outcomes = []
        for _ in range(5):
            done = run_cli(
                "probe", *probe_flags(sim, password="wrong"), "--json", "--state-dir", str(tmp_path)
            )
            assert done.returncode == 1, done.stderr
            outcomes.append(json.loads(done.stdout))
        assert [o.get("error_type") for o in outcomes[:3]] == ["invalid_grant"] * 3
        assert all(o["blocked"].startswith("blocked: credential failure") for o in outcomes[3:])
        assert token_requests(sim) - before == 3  # nothing sent after the third refusal
        # The right password is a configuration change: the probe runs again.
        assert run_cli("probe", *probe_flags(sim), "--state-dir", str(tmp_path)).returncode == 0
    finally:
        sim_call(sim, "POST", "/_sim/auth", {"reset_failures": True})


def test_rate_limit_is_waited_out(sim: SimulatorHandle, tmp_path: Path) -> None:
    sim_call(
        sim,
        "POST",
        "/_sim/faults",
        {"path_prefix": "/oauth/token", "status": 429, "count": 1, "reset_after": 1},
    )
    done = run_cli("probe", *probe_flags(sim), "--state-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    statuses = sim_call(sim, "GET", "/_sim/stats")["requests"]["/oauth/token"]
    assert statuses.get("429", 0) >= 1 and statuses.get("200", 0) >= 1


def test_jwks_rotation_is_followed(sim: SimulatorHandle) -> None:
    probe = login_probe(sim)
    assert asyncio.run(probe.run()).ok
    sim_call(sim, "POST", "/_sim/jwks/rotate", {"keep_previous": False})
    rotated = asyncio.run(probe.run())
    assert rotated.ok, rotated.message
    assert probe.jwks.fetches == 2


def collector_config(tmp_path: Path, sim: SimulatorHandle, receiver: OtlpReceiver) -> Path:
    info = sim.info
    user = info["test_users"][0]
    return write_config(
        tmp_path / "config.yaml",
        {
            "auth0": {"domain": info["domain"], "ca_file": info["ca_file"]},
            "state_dir": str(tmp_path / "state"),
            "receivers": {
                "login_probe": {
                    "interval": "1s",
                    "client_id": info["probe_client"]["client_id"],
                    "client_secret": info["probe_client"]["client_secret"],
                    "username": user["username"],
                    "password": user["password"],
                },
                "endpoint_check": {"interval": "1s"},
                "status": {"interval": "300ms", "url": f"{sim.base_url}/feeds/status.rss"},
                "notices": {
                    "interval": "300ms",
                    "changelog_url": f"{sim.base_url}/feeds/changelog.rss",
                    "ip_ranges_url": f"{sim.base_url}/ip-ranges.json",
                    "security_bulletins_url": f"{sim.base_url}/security-bulletins",
                },
            },
            "exporters": {"otlp": {"endpoint": receiver.http_endpoint}},
            "telemetry": {"metrics_interval": "300ms"},
        },
    )


def events(receiver: OtlpReceiver, name: str) -> list[Any]:
    return [r.record for r in receiver.log_records() if r.record.event_name == name]


def polls(sim: SimulatorHandle, path: str) -> int:
    return sum(sim_call(sim, "GET", "/_sim/stats")["requests"].get(path, {}).values())


def test_run_emits_probe_endpoint_status_and_notices_once_per_item_across_a_restart(
    sim: SimulatorHandle, otlp_receiver: OtlpReceiver, tmp_path: Path
) -> None:
    incident = {"guid": "inc-1", "title": "Login errors", "description": "Investigating - looking"}
    sim_call(sim, "POST", "/_sim/feeds/status", {"items": [incident]})
    ranges = httpx.get(f"{sim.base_url}/ip-ranges.json", verify=sim.verify).json()
    ranges["regions"]["US"]["ipv4_cidrs"].append("203.0.113.7/32")
    sim_call(sim, "PUT", "/_sim/ip-ranges", ranges)
    config = collector_config(tmp_path, sim, otlp_receiver)

    with running_collector(config) as collector:
        otlp_receiver.wait_for(
            lambda: (
                len(events(otlp_receiver, "auth0.changelog.item")) >= 2
                and events(otlp_receiver, "auth0.status.incident")
                and events(otlp_receiver, "auth0.ip_ranges.changed")
                and otlp_receiver.metric_points("auth0.status.incidents.open")
                and otlp_receiver.metric_points("auth0.endpoint.up")
                and otlp_receiver.metric_points("auth0.probe.success")
            ),
            timeout=30,
        )
        assert collector.terminate() == 0, collector.stderr_text()

    (change,) = events(otlp_receiver, "auth0.ip_ranges.changed")
    assert change.severity_text == "WARN" and attrs(change.attributes)["auth0.ip_ranges.added"] == [
        "203.0.113.7/32"
    ]
    assert {p.value for p in otlp_receiver.metric_points("auth0.status.incidents.open")} == {1}
    assert {p.attributes["url.path"] for p in otlp_receiver.metric_points("auth0.endpoint.up")} == {
        "/testall",
        "/test",
    }
    assert {p.value for p in otlp_receiver.metric_points("auth0.endpoint.up")} == {1}
    endpoint_spans = [s.span for s in otlp_receiver.spans() if s.scope == "otel_auth0.endpoint_check"]
    assert endpoint_spans and all(s.status.code == s.status.STATUS_CODE_OK for s in endpoint_spans)
    assert any(s.scope == "otel_auth0.login_probe" for s in otlp_receiver.spans())

    sim_call(sim, "POST", "/_sim/feeds/status", {"items": [{**incident, "description": "Resolved - fixed"}]})
    sim_call(sim, "POST", "/_sim/feeds/changelog", {"items": [{"guid": "news-3", "title": "Third entry"}]})
    with running_collector(config) as collector:
        otlp_receiver.wait_for(lambda: len(events(otlp_receiver, "auth0.changelog.item")) >= 3, timeout=30)
        otlp_receiver.wait_for(lambda: len(events(otlp_receiver, "auth0.status.incident")) >= 2, timeout=30)
        seen = polls(sim, "/feeds/changelog.rss")
        otlp_receiver.wait_for(lambda: polls(sim, "/feeds/changelog.rss") >= seen + 3, timeout=30)
        assert collector.terminate() == 0, collector.stderr_text()

    changelog = [
        attrs(r.attributes)["auth0.changelog.id"] for r in events(otlp_receiver, "auth0.changelog.item")
    ]
    assert sorted(changelog) == sorted(
        ["https://auth0.com/changelog#sim-1", "https://auth0.com/changelog#sim-2", "news-3"]
    )
    statuses = [
        attrs(r.attributes)["auth0.status.incident.status"]
        for r in events(otlp_receiver, "auth0.status.incident")
    ]
    assert statuses == ["investigating", "resolved"]
    assert len(events(otlp_receiver, "auth0.ip_ranges.changed")) == 1
    assert sim_call(sim, "GET", "/_sim/stats")["requests"]["/feeds/changelog.rss"].get("304", 0) >= 1
