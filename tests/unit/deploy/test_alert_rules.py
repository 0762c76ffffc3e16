"""deploy/prometheus/alerts.yml is valid for promtool, and every rule fires on the input series of
alerts_test.yml (``promtool test rules``), among them "otel-auth0 down" and "nothing exported"."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from otel_auth0.collector_config import load_config

PROMETHEUS_DIR = Path(__file__).resolve().parents[3] / "deploy" / "prometheus"
RULES = PROMETHEUS_DIR / "alerts.yml"
RULE_TESTS = PROMETHEUS_DIR / "alerts_test.yml"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (Debian package prometheus; .ci/run installs it)"
)


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=120, cwd=PROMETHEUS_DIR)


def _alert_names() -> set[str]:
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return {rule["alert"] for group in rules["groups"] for rule in group["rules"] if "alert" in rule}


def _fired_in_tests() -> set[str]:
    tests = yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))
    return {
        case["alertname"]
        for test in tests["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }


def test_every_alert_has_a_test_that_makes_it_fire() -> None:
    assert {"OtelAuth0Down", "OtelAuth0Absent", "OtelAuth0NothingExported"} <= _alert_names()
    assert _alert_names() - _fired_in_tests() == set()


@needs_promtool
def test_promtool_check_rules() -> None:
    done = _promtool("check", "rules", RULES.name)
    assert done.returncode == 0, done.stdout + done.stderr


@needs_promtool
def test_promtool_test_rules_fires_each_alert_on_prepared_series() -> None:
    done = _promtool("test", "rules", RULE_TESTS.name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@needs_promtool
def test_promtool_test_rules_fails_when_a_rule_no_longer_fires(tmp_path: Path) -> None:
    """The rule tests can fail: with the "nothing exported" rule inverted they do."""
    rules = RULES.read_text(encoding="utf-8").replace("[15m])) == 0", "[15m])) > 0", 1)
    assert rules != RULES.read_text(encoding="utf-8")
    (tmp_path / "alerts.yml").write_text(rules, encoding="utf-8")
    (tmp_path / "alerts_test.yml").write_text(RULE_TESTS.read_text(encoding="utf-8"), encoding="utf-8")
    assert PROMTOOL is not None
    done = subprocess.run(
        [PROMTOOL, "test", "rules", "alerts_test.yml"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert "OtelAuth0NothingExported" in done.stdout + done.stderr


def test_the_stack_scrapes_otel_auth0_as_the_job_the_rules_read() -> None:
    root = PROMETHEUS_DIR.parents[1]
    prometheus = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    targets = [target for config in jobs["otel-auth0"]["static_configs"] for target in config["targets"]]
    config = load_config(root / "deploy" / "otel-auth0" / "config.yaml", {"AUTH0_LOG_STREAM_TOKEN": "t"})
    assert config.telemetry.listen is not None
    host, _, port = config.telemetry.listen.rpartition(":")
    assert host == "0.0.0.0" and targets == [f"collector-auth0:{port}"]
    assert 'job="otel-auth0"' in RULES.read_text(encoding="utf-8")
