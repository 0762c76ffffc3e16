"""Scans and readiness reads on the ``large`` simulated tenant (150 applications, a day of more than
5,000 log events): ``otel-auth0 scan --since 24h`` reads the whole window beyond Auth0's 1,000-result
search cap and finds every rate-limit event, under a tight Management API budget; a forced 429 storm
cuts a scan short and it exits non-zero naming the unread part; the readiness reader pages through
every list, so ``no_localhost_urls`` names an application that is only on page 2 (in the library and
through ``otel-auth0 readiness``), and a tight budget is waited out one retry per 429."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from otel_auth0.auth0.sdk import SdkSession
from otel_auth0.auth0.tenant_reader import read_tenant
from otel_auth0.config import Auth0Config, ReadinessConfig
from otel_auth0.convert.catalog import RATE_LIMIT_CODES
from otel_auth0.readiness.checks import run_check
from otel_auth0.readiness.scan import EMAIL_FAILURE_CODES
from otel_auth0_sim.process import SimulatorHandle, running_simulator
from otel_auth0_sim.profiles_large import LOCALHOST_APP_INDEX, LOCALHOST_APP_NAME
from tests.collector_process import run_cli
from tests.integration.test_readiness_e2e import scenarios
from tests.support.sim_config import auth0_section

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    state = tmp_path_factory.mktemp("large")
    args = ("--profile", "large", "--events-per-second", "0", "--mgmt-rate-limit", "8", "--seed", "5")
    with running_simulator(*args, "--state-dir", str(state), timeout=120) as sim:
        yield sim


def _config(tmp_path: Path, sim: SimulatorHandle) -> Path:
    config = {
        "auth0": auth0_section(sim),
        "state_dir": str(tmp_path / "state"),
        "readiness": {"thresholds": {"rate_limit_events": 10_000}},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _stats(sim: SimulatorHandle) -> dict[str, object]:
    return dict(httpx.get(f"{sim.base_url}/_sim/stats", verify=sim.verify, timeout=30).json())


def test_scan_reads_the_whole_day_and_every_rate_limit_event(tmp_path: Path, large: SimulatorHandle) -> None:
    two_429s = {"path_prefix": "/api/v2/logs", "status": 429, "count": 2, "after": 5, "reset_after": 1}
    httpx.post(f"{large.base_url}/_sim/faults", json=two_429s, verify=large.verify, timeout=30)
    before = _stats(large)
    types: dict[str, int] = before["types"]  # type: ignore[assignment]
    stored = before["stored"]
    assert isinstance(stored, int) and stored >= 5000
    done = run_cli("scan", "--since", "24h", "--config", str(_config(tmp_path, large)), "--json", timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["complete"] and report["unread"] is None and report["retries"] >= 2
    assert report["events"] == stored
    assert report["rate_limit"]["total"] == sum(n for code, n in types.items() if code in RATE_LIMIT_CODES)
    assert report["rate_limit"]["type"] == {c: n for c, n in types.items() if c in RATE_LIMIT_CODES}
    assert report["email_failures"]["total"] == sum(n for c, n in types.items() if c in EMAIL_FAILURE_CODES)
    assert report["deprecations"]["total"] == types.get("depnote", 0) > 0
    assert report["warnings"]["type"].get("w") == types["w"]
    injected = before["faults_injected"]
    assert isinstance(injected, int) and _stats(large)["faults_injected"] == injected + 2  # both waited out
    table = run_cli("scan", "--since", "24h", "--config", str(_config(tmp_path, large)), timeout=600)
    assert f"{stored} log events read" in table.stdout
    assert "Email delivery failures: 2" in table.stdout and "incomplete" not in table.stdout


def test_a_429_storm_cuts_the_scan_short_and_it_names_the_unread_part(
    tmp_path: Path, large: SimulatorHandle
) -> None:
    storm = {"path_prefix": "/api/v2/logs", "status": 429, "count": 100, "after": 3, "reset_after": 1}
    response = httpx.post(f"{large.base_url}/_sim/faults", json=storm, verify=large.verify, timeout=30)
    assert response.status_code == 200
    try:
        done = run_cli(
            "scan", "--since", "24h", "--config", str(_config(tmp_path, large)), "--json", timeout=600
        )
    finally:
        httpx.delete(f"{large.base_url}/_sim/faults", verify=large.verify, timeout=30)
    assert done.returncode == 3, done.stderr
    report = json.loads(done.stdout)
    assert not report["complete"] and report["events"] == 300
    assert "were not read" in done.stderr and report["read_until"][:16] in done.stderr.replace(" ", "T")
    assert "429" in report["unread"]


def test_readiness_reads_every_page_and_finds_the_page_two_application(large: SimulatorHandle) -> None:
    with SdkSession(Auth0Config(**auth0_section(large))) as session:  # type: ignore[arg-type]
        snapshot = read_tenant(session, ["verify_email"])
    assert not snapshot.errors and not snapshot.unavailable
    assert (len(snapshot.clients), len(snapshot.connections), len(snapshot.resource_servers)) == (150, 60, 40)
    assert snapshot.clients[LOCALHOST_APP_INDEX]["name"] == LOCALHOST_APP_NAME
    assert snapshot.client_grants and snapshot.event_streams and snapshot.network_acls
    assert snapshot.branding and snapshot.action_bindings["post-login"]
    assert snapshot.attack_protection["bot-detection"] and snapshot.attack_protection["captcha"]
    assert snapshot.attack_protection["breached-password-detection"]["stage"]
    result = run_check("no_localhost_urls", snapshot, ReadinessConfig())
    assert result.status == "fail" and LOCALHOST_APP_NAME in str(result.evidence)


def test_a_tight_budget_is_waited_out_one_retry_per_429(large: SimulatorHandle) -> None:
    control = f"{large.base_url}/_sim/rate-limit"
    httpx.post(control, json={"limit": 2}, verify=large.verify, timeout=30).raise_for_status()
    try:
        before = _stats(large)["rate_limited"]
        with SdkSession(Auth0Config(**auth0_section(large))) as session:  # type: ignore[arg-type]
            snapshot = read_tenant(session, ["verify_email"])
        sent = _stats(large)["rate_limited"]
    finally:
        httpx.post(control, json={"limit": 8}, verify=large.verify, timeout=30)
    assert not snapshot.errors and len(snapshot.clients) == 150
    assert isinstance(before, int) and isinstance(sent, int)
    assert session.stats.retries == sent - before  # every 429 the tenant sent was waited out and retried
    assert all(r.limit == 2 for r in snapshot.rate_limits)


def test_otel_auth0_readiness_checks_every_application(tmp_path: Path, large: SimulatorHandle) -> None:
    report = tmp_path / "report"
    tags = "production_checks and not manual"
    config = str(_config(tmp_path, large))
    done = run_cli("readiness", "--config", config, "--report-dir", str(report), "--tags", tags, timeout=600)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    found = scenarios(report / "cucumber.json")
    failed = {name: s["message"] for name, s in found.items() if s["status"] == "failed"}
    assert set(failed) == {
        "Critical production check no_localhost_urls",
        "Critical production check app_callbacks_secure",
    }, failed
    assert all(LOCALHOST_APP_NAME in message for message in failed.values())
