"""Low-and-slow attacks under Auth0's own blocks, a success after the failures re-reported at a higher
severity, and grouping that falls back to the fields an event does carry (issue 24, items 3 and 4)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ScopeLogs

from otel_auth0.detections.engine import Detection, DetectionEngine, Observed, run
from otel_auth0.detections.loader import default_rules
from otel_auth0.detections.output import to_telemetry
from tests.collector_process import REPO_ROOT
from tests.unit.detections.builders import event

VICTIM = "victim@acme.test"
IPS = ("198.51.100.71", "198.51.100.72", "198.51.100.73")


def slow_brute_force() -> list[Observed]:
    """Ten minutes, two failed logins a minute for one account, rotating over three IPs: at most 7 per
    IP, below Brute-force Protection's block at 10, and never 20 within a minute."""
    return [event("fp", i * 30, ip=IPS[i % 3], user_name=VICTIM) for i in range(20)]


def _engine() -> DetectionEngine:
    return DetectionEngine(default_rules())


def test_a_slow_brute_force_from_three_ips_is_detected_per_ip() -> None:
    fired = run(_engine(), slow_brute_force(), 0)
    assert sorted((d.rule.id, d.group["ip"], d.severity) for d in fired) == [
        ("brute_force_slow", ip, "warn") for ip in IPS
    ]
    assert all(d.group["user_name"] == VICTIM and d.count == 5 for d in fired)


def test_a_success_from_one_of_the_ips_re_reports_at_a_higher_severity() -> None:
    engine = _engine()
    run(engine, slow_brute_force(), 0)
    success = event("s", 20 * 30 + 60, ip=IPS[1], user_name=VICTIM)
    [escalated] = engine.process(success, 0)
    assert (escalated.rule.id, escalated.severity) == ("brute_force_slow", "fatal")
    assert escalated.group == {"user_name": VICTIM, "ip": IPS[1]}
    assert escalated.escalation == f"a login succeeded with ip={IPS[1]} after the failures"
    assert escalated.log_ids[-1] == success.event["log_id"]
    again = engine.process(event("s", 20 * 30 + 90, ip=IPS[1], user_name=VICTIM), 0)
    assert escalated.group not in [d.group for d in again]  # a group is escalated once
    record = _record(escalated)
    assert (record.severity_number, record.severity_text) == (21, "FATAL")
    assert "ESCALATED to fatal" in record.body.string_value


def test_a_success_for_the_account_from_another_ip_also_escalates() -> None:
    engine = _engine()
    run(engine, slow_brute_force(), 0)
    [escalated] = engine.process(event("s", 700, ip="203.0.113.9", user_name=VICTIM), 0)
    assert escalated.severity == "fatal" and "user_name=" in escalated.escalation


def test_no_escalation_before_the_rule_fired_or_for_unrelated_logins() -> None:
    engine = _engine()
    failures = slow_brute_force()
    run(engine, failures[:5], 0)  # below 5 failures for any one IP
    assert engine.process(event("s", 200, ip=IPS[0], user_name=VICTIM), 0) == []
    engine = _engine()
    run(engine, failures, 0)
    assert engine.process(event("s", 700, ip="203.0.113.10", user_name="other@acme.test"), 0) == []
    assert engine.process(event("s", 700 + 3 * 3600, ip=IPS[0], user_name=VICTIM), 0) == []  # too late


def test_credential_stuffing_followed_by_a_success_from_the_ip() -> None:
    engine = _engine()
    run(engine, [event("fu", i, ip="198.51.100.80", user_name=f"u{i}@acme.test") for i in range(10)], 0)
    [escalated] = engine.process(event("scoa", 30, ip="198.51.100.80", user_name="u3@acme.test"), 0)
    assert (escalated.rule.id, escalated.severity) == ("credential_stuffing", "fatal")


def test_detect_reports_the_escalation(tmp_path: Path) -> None:
    events = [o.event for o in slow_brute_force()] + [event("s", 660, ip=IPS[2], user_name=VICTIM).event]
    archive = tmp_path / "slow.json"
    archive.write_text(json.dumps(events))
    result = subprocess.run(
        [sys.executable, "-m", "otel_auth0", "detect", str(archive), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr
    detections = json.loads(result.stdout)
    assert [(d["rule"], d["severity"]) for d in detections] == [("brute_force_slow", "warn")] * 3 + [
        ("brute_force_slow", "fatal")
    ]
    assert detections[-1]["escalation"].startswith("a login succeeded with ip=198.51.100.73")


def test_leaked_password_logins_group_by_what_the_event_carries() -> None:
    engine = _engine()
    by_name = engine.process(event("pwd_leak", 0, user_name="a@acme.test", ip="198.51.100.90"), 0)
    by_id = engine.process(event("pwd_leak", 1, user_id="auth0|abc", ip="198.51.100.91"), 0)
    by_ip = engine.process(event("pwd_leak", 2, ip="198.51.100.92"), 0)
    assert [d.group for d in by_name + by_id + by_ip] == [
        {"user_name": "a@acme.test"},
        {"user_id": "auth0|abc"},
        {"ip": "198.51.100.92"},
    ]
    assert (
        engine.process(event("pwd_leak", 3, user_id="auth0|abc", ip="198.51.100.93"), 0) == []
    )  # same group


def _record(detection: Detection) -> LogRecord:
    """The detection's log record (framed as an entry of ScopeLogs.log_records)."""
    [record] = ScopeLogs.FromString(to_telemetry(detection, with_span=False).logs).log_records
    return record


def test_a_settings_change_reports_what_was_asked_and_what_the_setting_is_now() -> None:
    """Single-event configuration rules carry the change's before/after (request and response body)."""
    from otel_auth0.detections.output import attributes
    from tests.unit.detections.builders import sapi

    path = "/api/v2/attack-protection/suspicious-ip-throttling"
    asked = {"shields": ["admin_notification"]}
    now = {"enabled": True, "shields": ["admin_notification"]}
    [detection] = _engine().process(
        sapi(0, "Update Suspicious IP Throttling settings", "patch", path, asked, now), 0
    )
    assert detection.rule.id == "attack_protection_disabled"
    values = attributes(detection)
    assert json.loads(str(values["auth0.detection.report.details.request.body"])) == asked
    assert json.loads(str(values["auth0.detection.report.details.response.body"])) == now
    assert values["auth0.detection.report.details.request.auth.user.email"] == '"admin@acme.test"'
    still_blocking = {"enabled": True, "shields": ["block", "admin_notification"]}
    assert _engine().process(sapi(0, "Update", "patch", path, still_blocking, still_blocking), 0) == []
