"""No report format and no console line of a readiness run shows any part of a secret: one sample of every
secret shape the checks detect goes through a real ``pytest`` run of the readiness plugin (a failed gate's
message, a passed gate's evidence, a skip reason, an unexpected exception's traceback, and the real
``actions_no_hardcoded_secrets`` check on Action code holding them all), then through the Markdown and HTML
summaries; cucumber JSON, JUnit XML, results, summaries and console output are searched for every
4-character fragment of every secret."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from otel_auth0.masking import find_secrets, mask_secrets
from otel_auth0.readiness import summary
from tests.support.secret_samples import ACTION_CODE, IN_TEXT, SECRETS, leaks

pytestmark = pytest.mark.integration

FEATURE = """\
@production_checks
Feature: Secrets in reports
  @critical
  Scenario: A gate fails with secrets in its message
    Given secrets are around
    Then the gate fails naming them

  @recommended
  Scenario: A gate passes with secrets in its evidence
    Given secrets are around
    Then the gate passes naming them

  @recommended
  Scenario: A gate is skipped with secrets in its reason
    Given secrets are around
    Then the gate is skipped naming them

  @critical
  Scenario: A step raises with secrets in its traceback
    Given secrets are around
    Then the step raises naming them

  @critical
  Scenario: The Actions check finds every hard-coded secret
    Given secrets are around
    Then the production check on the Action code fails
"""

STEPS = """\
import json
from pathlib import Path

import pytest
from pytest_bdd import given, scenarios, then

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessConfig
from otel_auth0.readiness.checks import run_check
from otel_auth0.readiness.steps.assertions import PASSED_EVIDENCE, ReadinessFailure, expect

scenarios("secrets.feature")
DATA = json.loads((Path(__file__).parent / "secrets.json").read_text())
ALL = " / ".join(DATA["secrets"])


@given("secrets are around", target_fixture="secrets")
def secrets():
    print("stdout:", ALL)
    return ALL


@then("the gate fails naming them")
def fails(secrets):
    raise ReadinessFailure(f"found {secrets}. Fix: remove them")


@then("the gate passes naming them")
def passes(secrets):
    PASSED_EVIDENCE.append(f"evidence {secrets}")


@then("the gate is skipped naming them")
def skipped(secrets):
    pytest.skip(f"no access to {secrets}")


@then("the step raises naming them")
def raises(secrets):
    local_copy = secrets  # shown by --showlocals and long tracebacks
    raise ValueError(f"unexpected {local_copy}")


@then("the production check on the Action code fails")
def action_check():
    snapshot = TenantSnapshot(actions=[{"id": "a1", "name": "add-roles", "code": DATA["code"]}])
    expect(run_check("actions_no_hardcoded_secrets", snapshot, ReadinessConfig()))
"""


def test_every_secret_kind_is_detected_in_code() -> None:
    found = find_secrets(ACTION_CODE)
    assert sorted(secret for _, secret in found) == sorted(SECRETS.values())
    for text in IN_TEXT:
        shown = mask_secrets(f"x {text} y")
        assert "[masked: " in shown and leaks(shown) == [], (text, shown)


def test_no_secret_fragment_in_any_report_format_or_console(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "secrets.feature").write_text(FEATURE)
    (suite / "test_secrets.py").write_text(STEPS)
    (suite / "secrets.json").write_text(json.dumps({"secrets": IN_TEXT, "code": ACTION_CODE}))
    (suite / "pytest.ini").write_text("[pytest]\n")
    reports = tmp_path / "reports"
    reports.mkdir()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(suite),
            "-c",
            str(suite / "pytest.ini"),
            "--rootdir",
            str(suite),
            "-p",
            "otel_auth0.readiness.pytest_plugin",
            "-p",
            "no:cacheprovider",
            "--readiness-results",
            str(reports / "results.json"),
            f"--cucumberjson={reports / 'cucumber.json'}",
            f"--junitxml={reports / 'junit.xml'}",
            "--gherkin-terminal-reporter",
            "-vv",
            "-rA",
            "--tb=long",
            "--showlocals",
            "--show-capture=no",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    console = done.stdout + done.stderr
    assert done.returncode == 1, console[-3000:]
    results = json.loads((reports / "results.json").read_text())
    outcomes = {row["scenario"]: row["outcome"] for row in results}
    assert outcomes == {
        "A gate fails with secrets in its message": "failed",
        "A gate passes with secrets in its evidence": "passed",
        "A gate is skipped with secrets in its reason": "skipped",
        "A step raises with secrets in its traceback": "failed",
        "The Actions check finds every hard-coded secret": "failed",
    }
    check = next(r for r in results if r["scenario"].startswith("The Actions check"))
    for kind in {"Stripe key", "AWS access key id", "GitHub token", "Slack token", "private key", "JWT"}:
        assert f"{kind} (" in check["message"], (kind, check["message"])  # named by kind and length
    run = summary.RunInfo.from_json(json.loads((reports / "run.json").read_text()), "tenant.example")
    (reports / "summary.md").write_text(summary.markdown(results, run))
    (reports / "summary.html").write_text(summary.html_report(results, run))
    outputs = {path.name: path.read_text() for path in reports.iterdir()} | {"console": console}
    assert set(outputs) >= {"cucumber.json", "junit.xml", "results.json", "summary.md", "summary.html"}
    assert "[masked: Stripe key, 32 chars]" in outputs["summary.html"]  # the evidence is there, masked
    assert "[masked: JWT," in outputs["cucumber.json"] and "[masked: JWT," in outputs["junit.xml"]
    assert {name: leaks(text) for name, text in outputs.items()} == {name: [] for name in outputs}
