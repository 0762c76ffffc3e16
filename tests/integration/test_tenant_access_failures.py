"""Issue 20.6: a wrong client secret, a missing ``read:logs`` scope and an unresolvable domain make
``/readyz`` answer 503 naming the receiver and the class from the first failed poll (well within one
interval), and the self-metrics count them by ``error.type``. Real simulator, collector and sockets; the
DNS case runs in a network namespace of its own with only loopback, so no query leaves the machine."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from otel_auth0.local_ports import free_port
from otel_auth0_sim.process import running_simulator
from tests.collector_process import REPO_ROOT, running_collector, write_config
from tests.support.netns import namespace_problem

pytestmark = pytest.mark.integration


def config(tmp_path: Path, telemetry_port: int, auth0: dict[str, Any]) -> Path:
    return write_config(
        tmp_path / "config.yaml",
        {
            "auth0": auth0,
            "state_dir": str(tmp_path / "state"),
            # One poll at start, the next a minute later: the reason must show before the second.
            "receivers": {"logs_api": {"interval": "60s", "start_from": "oldest"}},
            "exporters": {"file": {"path": str(tmp_path / "out.jsonl")}},
            "telemetry": {"listen": f"127.0.0.1:{telemetry_port}"},
        },
    )


def wait_for_reason(port: int, needle: str, timeout: float = 50.0) -> list[str]:
    """The reasons of a 503 ``/readyz`` once one contains ``needle`` (generous deadline, no timing)."""
    deadline = time.monotonic() + timeout
    reasons: list[str] = []
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            if response.status_code == 503:
                reasons = response.json()["reasons"]
                if any(needle in reason for reason in reasons):
                    return reasons
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"/readyz never named {needle!r}; last reasons: {reasons}")


def error_count(port: int, error_type: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith("otel_auth0_receiver_errors_total{") and f'error_type="{error_type}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def sim_auth0(sim: Any, secret: str | None = None) -> dict[str, Any]:
    info = sim.info
    return {
        "domain": info["domain"],
        "scheme": "http",
        "client_id": info["client_id"],
        "client_secret": secret or info["client_secret"],
    }


def test_a_wrong_client_secret_is_named_credentials(tmp_path: Path) -> None:
    port = free_port()
    with running_simulator(
        "--no-tls", "--events-per-second", "0", "--state-dir", str(tmp_path / "sim")
    ) as sim:
        path = config(tmp_path, port, sim_auth0(sim, "not-the-secret"))
        with running_collector(path) as collector:
            reasons = wait_for_reason(port, "receiver logs_api cannot collect: credentials:")
            assert any("token request answered 401" in reason for reason in reasons), reasons
            assert error_count(port, "credentials") >= 1
            assert "not-the-secret" not in collector.stderr_text() + json.dumps(reasons)


def test_a_missing_read_logs_scope_is_named_scope(tmp_path: Path) -> None:
    port = free_port()
    args = ("--no-tls", "--events-per-second", "0", "--client-scopes", "read:clients read:connections")
    with running_simulator(*args, "--state-dir", str(tmp_path / "sim")) as sim:
        path = config(tmp_path, port, sim_auth0(sim))
        with running_collector(path):
            reasons = wait_for_reason(port, "receiver logs_api cannot collect: scope:")
            assert any("read:logs" in reason for reason in reasons), reasons
            assert error_count(port, "scope") >= 1


_IN_NAMESPACE = """
import json, subprocess, sys, time
import httpx
config, port = sys.argv[1], sys.argv[2]
collector = subprocess.Popen([sys.executable, "-m", "otel_auth0", "run", "--config", config],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
found, deadline = None, time.monotonic() + 50
try:
    while found is None and time.monotonic() < deadline:
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            named = answer.status_code == 503 and "cannot collect: dns" in answer.text
            if named:
                metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
                found = {"reasons": answer.json()["reasons"], "metrics": metrics}
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
finally:
    collector.terminate()
    collector.wait(60)
print(json.dumps(found))
"""


def test_an_unresolvable_domain_is_named_dns(tmp_path: Path) -> None:
    problem = namespace_problem()
    if problem is not None:
        pytest.skip(problem)
    port = free_port()
    path = config(tmp_path, port, {"domain": "tenant.invalid", "client_id": "id", "client_secret": "s"})
    command = f"ip link set lo up && exec {sys.executable} -c '{_IN_NAMESPACE}' {path} {port}"
    done = subprocess.run(
        ["unshare", "--net", "--", "bash", "-c", command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found is not None, "/readyz never named dns"
    assert any("the domain tenant.invalid does not resolve" in reason for reason in found["reasons"])
    assert 'error_type="dns"' in found["metrics"]
