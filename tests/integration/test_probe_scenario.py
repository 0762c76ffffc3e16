"""The ``login_outage`` and ``login_slow`` scenarios against a real simulator: the synthetic login
probe fails or slows down and the default rules report ``synthetic_login_failed`` /
``synthetic_login_slow`` from its results (as the login_probe receiver hands them to the detection
processor)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from otel_auth0.detections.engine import DetectionEngine
from otel_auth0.detections.loader import default_rules
from otel_auth0.receivers.login_probe import probe_observation
from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.support.sim_config import login_probe

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    with running_simulator(
        "--events-per-second", "0", "--state-dir", str(tmp_path_factory.mktemp("sim"))
    ) as handle:
        yield handle


def test_login_outage_scenario_fires_synthetic_login_failed(sim: SimulatorHandle) -> None:
    probe = login_probe(sim)
    engine = DetectionEngine(default_rules())
    healthy = asyncio.run(probe.run())
    assert healthy.ok and engine.process(probe_observation(healthy), 0.0) == []
    started = httpx.post(f"{sim.base_url}/_sim/scenarios/login_outage", json={"count": 2}, verify=sim.verify)
    assert started.json() == {"scenario": "login_outage", "faults": 2}
    fired = []
    for _ in range(2):
        result = asyncio.run(probe.run())
        assert not result.ok and result.error_type == "http_5xx"
        fired.extend(engine.process(probe_observation(result), 0.0))
    assert [d.rule.id for d in fired] == ["synthetic_login_failed"]


def test_login_slow_scenario_fires_synthetic_login_slow(sim: SimulatorHandle) -> None:
    probe = login_probe(sim)
    engine = DetectionEngine(default_rules())
    started = httpx.post(f"{sim.base_url}/_sim/scenarios/login_slow", json={"seconds": 6}, verify=sim.verify)
    assert started.json() == {"scenario": "login_slow", "seconds": 6, "count": 3}
    fired = []
    for _ in range(3):
        result = asyncio.run(probe.run())
        assert result.ok and result.duration >= 6
        fired.extend(engine.process(probe_observation(result), 0.0))
    assert [d.rule.id for d in fired] == ["synthetic_login_slow"]
