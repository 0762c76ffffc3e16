"""deploy/prometheus/slo.yml, the login SLO's multi-window multi-burn-rate alerts: valid for promtool,
and ``promtool test rules`` passes series that must page, must open a ticket and must stay silent
(slo_test.yml: hours; slo_long_test.yml: three days, marked slow)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

PROMETHEUS_DIR = Path(__file__).resolve().parents[3] / "deploy" / "prometheus"
RULES = PROMETHEUS_DIR / "slo.yml"
TESTS = (PROMETHEUS_DIR / "slo_test.yml", PROMETHEUS_DIR / "slo_long_test.yml")
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (Debian package prometheus; .ci/run installs it)"
)


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=600, cwd=PROMETHEUS_DIR)


def _alerts() -> dict[str, dict[str, str]]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return {rule["alert"]: rule["labels"] for group in groups for rule in group["rules"] if "alert" in rule}


def _cases() -> list[dict[str, object]]:
    return [
        case
        for path in TESTS
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]
        for case in test["alert_rule_test"]
    ]


def test_every_burn_rate_alert_is_made_to_fire_and_made_to_stay_silent() -> None:
    alerts = _alerts()
    assert {labels["severity"] for labels in alerts.values()} == {"page", "ticket"}
    fired = {case["alertname"] for case in _cases() if case["exp_alerts"]}
    silent = {case["alertname"] for case in _cases() if not case["exp_alerts"]}
    assert fired == set(alerts) and silent == set(alerts)


def test_the_stack_loads_the_slo_rules() -> None:
    prometheus = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text(encoding="utf-8"))
    assert "/etc/prometheus/slo.yml" in prometheus["rule_files"]


@needs_promtool
def test_promtool_check_rules() -> None:
    done = _promtool("check", "rules", RULES.name)
    assert done.returncode == 0, done.stdout + done.stderr


@needs_promtool
def test_promtool_pages_on_an_outage_and_not_on_two_failed_runs() -> None:
    done = _promtool("test", "rules", TESTS[0].name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@needs_promtool
@pytest.mark.slow
def test_promtool_three_days_open_a_ticket_only_above_the_budget() -> None:
    done = _promtool("test", "rules", TESTS[1].name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
