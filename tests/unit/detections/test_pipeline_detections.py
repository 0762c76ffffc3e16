"""Detections in the live intake: after the queue's dedupe, as log records with span links and a
counter, with redacted group values, for probe results too, and resumed from the state file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from otel_auth0.auth0.probe import ProbeResult
from otel_auth0.convert.mapping import Converted
from otel_auth0.receivers.login_probe import probe_observation
from otel_auth0_sim.scenarios import brute_force, credential_stuffing
from tests.unit.detections.builders import T0
from tests.unit.detections.pipeline import (
    detection_records,
    detection_spans,
    event_spans,
    live_intake,
    summary,
)
from tests.unit.detections.test_default_rules import generator
from tests.unit.pipeline.test_event_metrics import collect


def _events(builder: Any) -> list[dict[str, Any]]:
    events = builder(generator(), datetime.fromtimestamp(T0, UTC))
    for index, event in enumerate(events):
        event["log_id"] = f"{builder.__name__}{index:040d}"
    return events


# The scenario's failures come from one IP: brute_force_slow (per account and IP) fires on the fifth.
ONLY_FAST = {"detections": {"disabled_rules": ["brute_force_slow"]}}


def test_a_detection_is_a_log_record_linked_to_the_failed_logins_spans(tmp_path: Path) -> None:
    intake, reader, _ = live_intake(tmp_path, processors=ONLY_FAST)
    failures = [event for event in _events(brute_force) if event["type"] == "fp"]
    intake.submit_events(failures[:19], "log_stream")
    intake.submit_events(failures[:19], "logs_api")  # redelivered: duplicates never count twice
    assert detection_records(intake) == []
    intake.submit_events(failures[19:20], "log_stream")
    [record] = detection_records(intake)
    assert record.event_name == "auth0.detection.brute_force"
    assert (record.severity_number, record.severity_text) == (17, "ERROR")
    rule, group, count, log_ids = summary(record)
    assert (rule, count) == ("brute_force", 20)
    assert group == {"user_name": failures[0]["user_name"]}
    assert log_ids == tuple(event["log_id"] for event in failures[:20])
    [span] = detection_spans(intake)
    assert (record.trace_id, record.span_id) == (span.trace_id, span.span_id)
    spans = event_spans(intake)
    linked = {(link.trace_id, link.span_id) for link in span.links}
    assert linked == {(spans[i].trace_id, spans[i].span_id) for i in log_ids}
    points = collect(reader)["auth0.detections"][1]
    assert [(p[0], p[1].value) for p in points] == [
        ({"auth0.detection.rule.id": "brute_force", "auth0.detection.severity": "error"}, 1)
    ]


def test_group_values_are_redacted_like_the_events(tmp_path: Path) -> None:
    intake, _, _ = live_intake(
        tmp_path, processors={"redact": {"fields": ["client.address"], "method": "mask"}}
    )
    intake.submit_events(_events(credential_stuffing), "log_stream")
    records = detection_records(intake)
    # 30 and more users per IP: the slow rule (30 within an hour) fires too
    assert {summary(record)[0] for record in records} == {"credential_stuffing", "credential_stuffing_slow"}
    assert {str(summary(record)[1]["ip"]) for record in records} == {"****"}
    assert all("203.0.113" not in record.body.string_value for record in records)


def test_probe_results_reach_the_rules(tmp_path: Path) -> None:
    intake, _, _ = live_intake(tmp_path)
    item = Converted(key=None, logs=b"")
    for run in range(2):
        start = int((T0 + run * 60) * 1e9)
        result = ProbeResult(start_ns=start, end_ns=start + 10**8, error_type="http_5xx", message="503")
        intake.submit_converted([item], "otel_auth0.login_probe", observed=[probe_observation(result)])
    assert [summary(record)[0] for record in detection_records(intake)] == ["synthetic_login_failed"]


def test_window_state_survives_a_restart(tmp_path: Path) -> None:
    failures = [event for event in _events(brute_force) if event["type"] == "fp"]
    intake, _, _ = live_intake(tmp_path, processors=ONLY_FAST)
    intake.submit_events(failures[:19], "log_stream")
    assert intake.detector is not None
    intake.detector.close()
    intake.queue.close()
    resumed, _, _ = live_intake(tmp_path, processors=ONLY_FAST)
    resumed.submit_events(failures[19:20], "log_stream")
    assert [summary(record)[:3] for record in detection_records(resumed)] == [
        ("brute_force", {"user_name": failures[0]["user_name"]}, 20)
    ]


def test_detections_can_be_switched_off(tmp_path: Path) -> None:
    intake, _, _ = live_intake(tmp_path, processors={"detections": {"enabled": False}})
    assert intake.detector is None
    intake.submit_events([e for e in _events(brute_force) if e["type"] == "fp"], "log_stream")
    assert detection_records(intake) == []
