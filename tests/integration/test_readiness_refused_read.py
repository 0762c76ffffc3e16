"""One Management API read refused (403, as for a missing scope) fails only the production checks that
need it, each naming the missing scope; every other check of the ``good`` tenant still passes."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest
import yaml

from otel_auth0.readiness.checks import CHECKS
from otel_auth0_sim.process import running_simulator
from tests.integration.test_readiness_e2e import run, scenarios

pytestmark = pytest.mark.integration


EMAIL_FEATURE_CHECKS = {"email_provider", "email_templates"}


def test_a_refused_read_fails_only_its_checks(tmp_path: Path) -> None:
    with running_simulator(
        "--profile", "good", "--events-per-second", "0", "--state-dir", str(tmp_path / "sim")
    ) as sim:
        info = sim.info
        keys = ("domain", "client_id", "client_secret", "ca_file")
        config = {"auth0": {key: info[key] for key in keys}, "state_dir": str(tmp_path / "state")}
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(config))
        fault = {"path_prefix": "/api/v2/client-grants", "status": 403, "count": 5}
        httpx.post(f"{sim.base_url}/_sim/faults", json=fault, verify=sim.verify).raise_for_status()
        report = tmp_path / "report"
        argv = [sys.executable, "-m", "otel_auth0", "readiness", "--config", str(path)]
        done = run(
            [*argv, "--report-dir", str(report), "--tags", "production_checks and not manual"], tmp_path
        )
        assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
        found = scenarios(report / "cucumber.json")
    failed = {name: s["message"] for name, s in found.items() if s["status"] == "failed"}
    needing = [c for c in CHECKS.values() if "client_grants" in c.reads]
    assert sorted(failed) == sorted(f"{c.severity.capitalize()} production check {c.id}" for c in needing)
    for message in failed.values():
        assert "the Management API refused /api/v2/client-grants" in message
        assert (
            "missing scope read:client_grants. Fix: grant the readiness application read:client_grants"
            in message
        )
    # Every production check ran, but the email ones, which email.feature runs (once).
    ran = {name.rsplit(" ", 1)[1] for name in found if " production check " in name}
    assert ran == set(CHECKS) - EMAIL_FEATURE_CHECKS
    assert sum(1 for s in found.values() if s["status"] == "passed") == len(ran) - len(needing)
