"""Parity with the anchors by meaning (docs/detections.md, "Coverage of the anchors' rules").

``anchor_examples.json`` holds our own minimal re-typing of the facts of every example event Panther
documents for its Auth0 rules (``panther-labs/panther-analysis``, ``rules/auth0_rules/*.yml``, Tests):
the anchor rule, whether the anchor alerts on it, the rule of ours with the same meaning and the
anchor's threshold. Replayed through ``otel-auth0 detect --json``, each alerts where the anchor alerts
(at the anchor's threshold: the example repeated that many times) and is silent where it is silent.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from otel_auth0.detections.engine import DetectionEngine, Observed, run
from otel_auth0.detections.loader import default_rules
from tests.collector_process import REPO_ROOT
from tests.unit.detections.builders import T0, iso

EXAMPLES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "anchor_examples.json").read_text())
SPACING = 3 * 86400.0  # between examples: longer than any window or dedupe period of a default rule
# Panther's 23 Auth0 rules (its pack PantherManaged.Auth0), Datadog Cloud SIEM's Auth0 rules. Elastic's
# detection-rules repository has no Auth0 rule (its Auth0 package only ingests); see the table.
PANTHER = {
    "Auth0.AttackProtection.Disabled", "Auth0.BotDetection.Disabled", "Auth0.Brute.Force",
    "Auth0.CIC.Credential.Stuffing", "Auth0.Custom.Role.Created", "Auth0.Delete.TenantMember",
    "Auth0.FraudRisk.Volume", "Auth0.Integration.Installed", "Auth0.Leaked.Password.Login.Attempt",
    "Auth0.Limits", "Auth0.MFA.Factor.Setting.Enabled", "Auth0.MFA.Policy.Disabled",
    "Auth0.MFA.Policy.Enabled", "Auth0.MFA.Risk.Assessment.Disabled", "Auth0.MFA.Risk.Assessment.Enabled",
    "Auth0.NewAdmin.Invitation", "Auth0.User.Invitation.Created", "Auth0.User.Joined.Tenant",
    "Auth0.Post.Login.Action.Flow", "Auth0.PushNotification.Fatigue", "Auth0.Rapid.DynamicClient.Creation",
    "Auth0.RefreshToken.Reuse", "Auth0.SamePhone.MultipleUsers.MFA",
}  # fmt: skip
DATADOG = {
    "Credential stuffing attack on Auth0",
    "Anomalous number of Auth0 Attack Protection events",
    "Brute force attempt from suspicious IP by user email",
}


BASELINES = {rule.id for rule in default_rules() if rule.baseline is not None}


def _copies(example: dict[str, Any], count: int, index: int) -> list[dict[str, Any]]:
    """``count`` copies of the example one minute apart (distinct users for a distinct-user count).

    For a rule of ours that is a baseline (a surge against the trailing hour, where the anchor counts
    a fixed number per hour), one copy an hour before and then the ``count`` within a minute: the
    anchor's count arriving in a quiet tenant."""
    events = []
    baseline = example["rule"] in BASELINES
    for copy in range(count + baseline):
        event = json.loads(json.dumps(example["event"]))
        offset = (copy * 2 + 3300 if copy else 0) if baseline else copy * 60
        event["date"] = iso(T0 + index * SPACING + offset)
        event["log_id"] = f"x{index:03d}c{copy:03d}".ljust(56, "0")
        if example["rule"] == "shared_mfa_phone":
            event["user_id"] = f"{event.get('user_id', 'auth0|u')}-{copy}"
        events.append(event)
    return events


def _fired(events: list[dict[str, Any]], rule_id: str) -> bool:
    engine = DetectionEngine(default_rules())
    return any(d.rule.id == rule_id for d in run(engine, [Observed(e) for e in events], T0))


def test_every_documented_example_of_every_anchor_rule_is_replayed() -> None:
    covered = {example["anchor"] for example in EXAMPLES}
    # Auth0.Brute.Force is a scheduled query without example events: tests/unit/detections/cases.py
    # (attack_protection_blocks) holds its hand-built sequence.
    assert covered | {"Auth0.Brute.Force"} == PANTHER
    assert sum(example["alerts"] for example in EXAMPLES) == 32


def test_detect_alerts_where_the_anchor_alerts_and_is_silent_where_it_is_silent(tmp_path: Path) -> None:
    archive = tmp_path / "anchor-examples.json"
    events = [
        event
        for index, example in enumerate(EXAMPLES)
        for event in _copies(example, example["threshold"], index)
    ]
    archive.write_text(json.dumps(events))
    result = subprocess.run(
        [sys.executable, "-m", "otel_auth0", "detect", str(archive), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr
    fired = {
        (detection["rule"], log_id[:4])
        for detection in json.loads(result.stdout)
        for log_id in detection["log_ids"]
    }
    outcome = {
        (example["anchor"], example["example"]): (example["rule"], f"x{index:03d}") in fired
        for index, example in enumerate(EXAMPLES)
    }
    expected = {(example["anchor"], example["example"]): example["alerts"] for example in EXAMPLES}
    assert outcome == expected


@pytest.mark.parametrize(
    "example",
    [e for e in EXAMPLES if e["threshold"] > 1 and e["alerts"]],
    ids=lambda e: e["anchor"],
)
def test_at_the_anchors_threshold_one_less_is_silent(example: dict[str, Any]) -> None:
    events = _copies(example, example["threshold"], 0)
    assert len(events) >= example["threshold"]
    assert not _fired(events[:-1], example["rule"])
    assert _fired(events, example["rule"])


COVERAGE = re.compile(r"<!-- coverage:start -->(.*)<!-- coverage:end -->", re.S)


def _coverage_rows() -> list[list[str]]:
    text = (REPO_ROOT / "docs" / "detections.md").read_text()
    match = COVERAGE.search(text)
    assert match, "docs/detections.md has no coverage table"
    rows = [
        line.strip().strip("|").split("|") for line in match.group(1).splitlines() if line.startswith("|")
    ]
    return [[cell.strip() for cell in row] for row in rows[2:]]  # after the header and its rule


def test_the_coverage_table_names_every_anchor_rule_and_only_shipped_rules() -> None:
    rows = _coverage_rows()
    anchors = {re.sub(r"`", "", row[1]) for row in rows}
    assert anchors >= PANTHER  # no anchor rule without a row
    assert anchors >= DATADOG
    assert any(row[0] == "Elastic" for row in rows)
    shipped = {rule.id for rule in default_rules()}
    named = {name for row in rows for name in re.findall(r"`([a-z0-9_]+)`", row[2])}
    assert named and named <= shipped  # no row without a shipped rule
    mapped = {example["anchor"]: example["rule"] for example in EXAMPLES}
    for row in rows:  # the replayed examples' rules are the ones the table names
        anchor = re.sub(r"`", "", row[1])
        if anchor in mapped:
            assert f"`{mapped[anchor]}`" in row[2], anchor
