"""``otel-auth0 detect`` over a file finds the same detections as the live pipeline on the same events."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from otel_auth0_sim.scenarios import brute_force, credential_stuffing, security_setting_change
from tests.collector_process import REPO_ROOT
from tests.unit.detections.builders import T0
from tests.unit.detections.pipeline import detection_records, live_intake, summary
from tests.unit.detections.test_default_rules import generator, normal_traffic

BATCH = 100


def incident_events() -> list[dict[str, Any]]:
    """Ten minutes of normal traffic with three attacks in the middle, with log ids in date order."""
    start = datetime.fromtimestamp(T0, UTC)
    events = [observed.event for observed in normal_traffic(6000, start, rate=10)]
    attack_time = start + timedelta(minutes=5)
    for builder in (brute_force, credential_stuffing, security_setting_change):
        events.extend(builder(generator(), attack_time))
    events.sort(key=lambda event: event["date"])
    for index, event in enumerate(events):
        event["log_id"] = f"{index:056d}"
    return events


def detect_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otel_auth0", "detect", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_ROOT,
    )


def test_detect_prints_what_the_live_pipeline_emitted(tmp_path: Path) -> None:
    events = incident_events()
    intake, _, _ = live_intake(tmp_path)
    for start in range(0, len(events), BATCH):
        intake.submit_events(events[start : start + BATCH], "log_stream")
    live = sorted(
        (rule, json.dumps(group), count, ids)
        for rule, group, count, ids in map(summary, detection_records(intake))
    )
    assert {item[0] for item in live} >= {"brute_force", "credential_stuffing", "mfa_policy_disabled"}

    archive = tmp_path / "archive.jsonl"  # JSON lines of Log-Stream items, as an archive holds them
    archive.write_text("\n".join(json.dumps({"log_id": e["log_id"], "data": e}) for e in reversed(events)))
    result = detect_cli(str(archive), "--json")
    assert result.returncode == 0, result.stderr
    replayed = sorted(
        (d["rule"], json.dumps(d["group"]), d["count"], tuple(d["log_ids"]))
        for d in json.loads(result.stdout)
    )
    assert replayed == live


def test_detect_table_and_a_rule_file_with_a_typo(tmp_path: Path) -> None:
    archive = tmp_path / "attack.json"
    archive.write_text(json.dumps(brute_force(generator(), datetime.fromtimestamp(T0, UTC))))
    table = detect_cli(str(archive))
    assert table.returncode == 0, table.stderr
    assert "3 detections" in table.stdout  # brute_force, brute_force_slow (one IP) and the limit_wc
    rules = tmp_path / "mine.yaml"
    rules.write_text(
        "rules:\n  - {id: mine, title: t, severity: warn, description: d, runbook: r, match: {typ: [f]}}\n"
    )
    refused = detect_cli(str(archive), "--rules", str(rules))
    assert refused.returncode == 2
    assert f"{rules}: rules.0.match.typ: unknown key" in refused.stderr
