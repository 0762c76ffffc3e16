"""The login SLO from the engine's burn-rate state: runs, bad runs, burn rate and budget left."""

from __future__ import annotations

from otel_auth0.detections.engine import DetectionEngine, run
from otel_auth0.detections.loader import default_rules
from otel_auth0.detections.slo import slo_status
from tests.unit.detections.builders import probe


def test_budget_left_and_burn_rate_of_the_login_slo() -> None:
    engine = DetectionEngine(default_rules())
    runs = [probe(i * 60, i % 100 != 50, 0.4 if i % 50 else 3.0) for i in range(300)]  # 3 failed, 6 slow
    run(engine, runs, 0)
    status = {entry["rule"]: entry for entry in slo_status(engine)}
    fast = status["login_slo_fast_burn"]
    assert fast["objective"] == 0.995 and not fast["firing"]
    longest = fast["windows"][-1]  # 6h: every run so far
    assert (longest["window_s"], longest["events"], longest["bad"]) == (21600.0, 300, 3)
    assert abs(longest["burn_rate"] - 0.01 / 0.005) < 1e-9
    assert abs(fast["error_budget_remaining"] - (1 - 2.0)) < 1e-9  # overspent: 1% failed, 0.5% allowed
    latency = status["login_latency_slo_fast_burn"]
    assert latency["windows"][-1]["bad"] == 6
    assert abs(latency["error_budget_remaining"] - (1 - 0.02 / 0.01)) < 1e-9


def test_no_probe_results_no_slo_entries() -> None:
    assert slo_status(DetectionEngine(default_rules())) == []
