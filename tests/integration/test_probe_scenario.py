"""The ``login_outage`` scenario against a real simulator: the synthetic login probe fails and the
default rules report ``synthetic_login_failed`` from its results (as the login_probe receiver hands
them to the detection processor)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from otel_auth0.auth0.probe import LoginProbe, ProbeSettings
from otel_auth0.detections.engine import DetectionEngine
from otel_auth0.detections.loader import default_rules
from otel_auth0.receivers.login_probe import probe_observation
from otel_auth0_sim.process import running_simulator

pytestmark = pytest.mark.integration


def test_login_outage_scenario_fires_synthetic_login_failed(tmp_path: Path) -> None:
    with running_simulator("--events-per-second", "0", "--state-dir", str(tmp_path)) as sim:
        info = sim.info
        user = info["test_users"][0]
        settings = ProbeSettings(
            sim.base_url,
            info["probe_client"]["client_id"],
            user["username"],
            user["password"],
            info["probe_client"]["client_secret"],
            ca_file=Path(info["ca_file"]),
        )
        probe = LoginProbe(settings)
        engine = DetectionEngine(default_rules())
        healthy = asyncio.run(probe.run())
        assert healthy.ok and engine.process(probe_observation(healthy), 0.0) == []
        started = httpx.post(
            f"{sim.base_url}/_sim/scenarios/login_outage", json={"count": 2}, verify=sim.verify
        )
        assert started.json() == {"scenario": "login_outage", "faults": 2}
        fired = []
        for _ in range(2):
            result = asyncio.run(probe.run())
            assert not result.ok and result.error_type == "http_5xx"
            fired.extend(engine.process(probe_observation(result), 0.0))
        assert [d.rule.id for d in fired] == ["synthetic_login_failed"]
