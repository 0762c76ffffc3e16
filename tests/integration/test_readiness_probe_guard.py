"""Repeated ``otel-auth0 readiness`` runs with a wrong probe password never lock the test user out: the
synthetic-login gate goes through the probe's credential guard (state shared per ``state_dir``), retries a
refused login once per run, then says the guard holds it back; the right password then logs in."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from otel_auth0_sim.auth_state import BRUTE_FORCE_THRESHOLD
from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.integration.test_readiness_e2e import run, scenarios
from tests.support.sim_config import auth0_section, login_probe_section

pytestmark = pytest.mark.integration
RUNS = 5
SCENARIO = "The synthetic login succeeds within the threshold"


def probe_config(path: Path, sim: SimulatorHandle, password: str) -> Path:
    config = {
        "auth0": auth0_section(sim),
        "state_dir": str(path.parent / "state"),
        "receivers": {"login_probe": login_probe_section(sim, password)},
    }
    path.write_text(yaml.safe_dump(config))
    return path


def refused_logins(sim: SimulatorHandle) -> dict[str, Any]:
    with httpx.Client(verify=sim.verify) as client:
        failures: dict[str, Any] = client.get(f"{sim.base_url}/_sim/auth").json()["failures"]
    return failures


def test_wrong_password_runs_never_lock_the_user_out(tmp_path: Path) -> None:
    with running_simulator(
        "--profile", "good", "--events-per-second", "0", "--state-dir", str(tmp_path / "sim")
    ) as sim:
        wrong = probe_config(tmp_path / "wrong.yaml", sim, "not-the-password")
        messages = []
        for attempt in range(RUNS):
            report = tmp_path / f"report{attempt}"
            argv = [sys.executable, "-m", "otel_auth0", "readiness", "--config", str(wrong)]
            done = run([*argv, "--report-dir", str(report), "--tags", "monitoring and critical"], tmp_path)
            assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
            found = scenarios(report / "cucumber.json")[SCENARIO]
            assert found["status"] == "failed"
            messages.append(found["message"])
        assert "login refused 2 times (invalid_grant" in messages[0], messages[0]
        for message in messages[1:]:
            assert (
                "the credential guard holds the synthetic login back: blocked: credential failure" in message
            )
            assert "Fix: fix receivers.login_probe username/password" in message
        failures = refused_logins(sim)
        assert list(failures.values()) == [3] and BRUTE_FORCE_THRESHOLD > 3  # max_credential_failures

        right = probe_config(tmp_path / "right.yaml", sim, sim.info["test_users"][0]["password"])
        probe = [sys.executable, "-m", "otel_auth0", "probe", "--config", str(right), "--json"]
        done = run(probe, tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)["ok"] is True
        assert refused_logins(sim) == {}
