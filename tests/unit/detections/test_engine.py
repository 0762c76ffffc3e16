"""The engine: matching, sliding windows, dedupe, baselines, bounded state and its persistence form."""

from __future__ import annotations

import pytest

from otel_auth0.detections.engine import DetectionEngine, Observed
from otel_auth0.detections.loader import parse_rules
from otel_auth0.detections.matching import condition_holds, field_value
from otel_auth0.detections.model import FieldCondition, Rule
from tests.unit.detections.builders import T0, event


def rules(text: str) -> list[Rule]:
    return parse_rules(text, "test")


THRESHOLD = rules(
    """
rules:
  - id: fails_by_ip
    title: failures
    severity: warn
    description: d
    runbook: r
    match: {outcome: [failure]}
    threshold: {count: 3, window: 1m, group_by: [ip]}
    dedupe: 10m
"""
)


def run(engine: DetectionEngine, events: list[Observed]) -> list[str]:
    fired = []
    for observed in events:
        fired.extend(f"{d.rule.id}:{d.count}" for d in engine.process(observed, T0))
    return fired


def test_conditions() -> None:
    assert condition_holds(FieldCondition.model_validate({"equals": 200}), 200)
    assert not condition_holds(FieldCondition.model_validate({"equals": 200}), 201)
    assert condition_holds(FieldCondition.model_validate({"contains": "REUSED"}), "token reused here")
    assert condition_holds(FieldCondition.model_validate({"contains": "owner"}), ["admin", "owner"])
    assert not condition_holds(FieldCondition.model_validate({"contains": "own"}), ["owner"])
    assert condition_holds(FieldCondition.model_validate({"exists": True, "empty": True}), [])
    assert not condition_holds(FieldCondition.model_validate({"exists": True, "empty": True}), [1])
    missing = field_value({"details": {}}, "details.request.path")
    assert condition_holds(FieldCondition.model_validate({"exists": False}), missing)
    assert not condition_holds(FieldCondition.model_validate({"prefix": "/api"}), missing)
    assert condition_holds(FieldCondition.model_validate({"gte": 5}), 5.0)
    assert not condition_holds(FieldCondition.model_validate({"gte": 5}), True)
    assert field_value({"type": "fp"}, "category") == "auth.login.fail"
    assert field_value({"type": "fp"}, "outcome") == "failure"


def test_window_slides_and_groups_are_separate() -> None:
    engine = DetectionEngine(THRESHOLD)
    spread = [event("f", at, ip="a") for at in (0, 30, 61)]  # the first left the window
    assert run(engine, spread) == []
    assert run(engine, [event("f", 62, ip="b"), event("f", 63, ip="a")]) == ["fails_by_ip:3"]


def test_dedupe_within_the_period_then_fires_again() -> None:
    engine = DetectionEngine(THRESHOLD)
    assert run(engine, [event("f", at, ip="a") for at in (0, 1, 2)]) == ["fails_by_ip:3"]
    assert run(engine, [event("f", at, ip="a") for at in (3, 4, 5, 300)]) == []
    assert run(engine, [event("f", at, ip="a") for at in (600, 601, 602)]) == ["fails_by_ip:3"]


def test_events_without_a_group_field_are_skipped() -> None:
    engine = DetectionEngine(THRESHOLD)
    assert run(engine, [event("f", at) for at in range(5)]) == []


def test_late_event_counts_inside_the_window_but_not_outside() -> None:
    engine = DetectionEngine(THRESHOLD)
    assert run(engine, [event("f", 100, ip="a"), event("f", 30, ip="a"), event("f", 101, ip="a")]) == []
    assert run(engine, [event("f", 90, ip="a")]) == ["fails_by_ip:3"]


def test_detection_carries_group_window_log_ids_and_span_refs() -> None:
    engine = DetectionEngine(THRESHOLD, max_refs=2)
    events = [event("f", at, ip="a") for at in (0, 1)]
    events.append(Observed(event("f", 2, ip="a").event, trace_id=b"\x01" * 16, span_id=b"\x02" * 8))
    [detection] = [d for o in events for d in engine.process(o, T0)]
    assert detection.group == {"ip": "a"}
    assert detection.window == 60.0 and detection.count == 3
    assert detection.log_ids == [events[1].event["log_id"], events[2].event["log_id"]]
    assert detection.refs[-1][1:] == ("01" * 16, "02" * 8)
    assert detection.first_time == T0


def test_state_is_bounded_with_a_million_distinct_group_keys() -> None:
    engine = DetectionEngine(THRESHOLD, max_groups=10_000)
    base = {"type": "f", "date": "2026-11-29T00:00:00.000Z"}
    for index in range(1_000_000):
        engine.process(Observed({**base, "ip": f"10.{index >> 16}.{(index >> 8) & 255}.{index & 255}"}), T0)
    assert len(engine.groups) == 10_000
    assert engine.stats.shed == 990_000
    # The newest groups are kept: the last IP still counts towards its window.
    last = {**base, "ip": "10.15.66.63"}
    assert [d.count for d in engine.process(Observed(last), T0) + engine.process(Observed(last), T0)] == [3]


def test_changes_and_restore_round_trip_every_kind_of_state() -> None:
    every = rules(
        """
rules:
  - {id: tt, title: t, severity: info, description: d, runbook: r, match: {type: [f]},
     threshold: {count: 3, window: 1m, distinct: user_name}}
  - {id: bb, title: b, severity: info, description: d, runbook: r, match: {type: [f]},
     baseline: {window: 5m, period: 1h, factor: 2, min_count: 3}}
  - {id: aa, title: a, severity: info, description: d, runbook: r, match: {type: [f]},
     absence: {after: 5m, history: 1h, min_events: 2, group_by: [tenant_name]}}
  - {id: ss, title: s, severity: info, description: d, runbook: r, match: {type: [f]}, dedupe: 1h}
"""
    )
    engine = DetectionEngine(every)
    run(engine, [event("f", at, user_name=f"u{at}") for at in (0, 1)])
    rows, removed = engine.changes()
    assert len(rows) == 4 and removed == []
    resumed = DetectionEngine(every)
    assert resumed.restore(rows) == 4
    fired = run(resumed, [event("f", 2, user_name="u2")])
    assert "tt:3" in fired and "ss:1" not in fired  # window resumed, dedupe remembered
    assert [d.rule.id for d in resumed.tick(T0 + 2 + 300)] == ["aa"]
    assert engine.changes() == ([], [])


def test_restore_skips_rules_that_changed_kind_or_vanished() -> None:
    engine = DetectionEngine(THRESHOLD)
    run(engine, [event("f", 0, ip="a")])
    rows, _ = engine.changes()
    single = rules(
        "rules: [{id: fails_by_ip, title: t, severity: info, description: d, runbook: r, match: {}}]"
    )
    assert DetectionEngine(single).restore(rows) == 0
    assert DetectionEngine([]).restore(rows) == 0


@pytest.mark.parametrize("count", [1, 7])
def test_threshold_keeps_at_most_count_entries(count: int) -> None:
    rule = rules(
        f"""
rules:
  - {{id: rr, title: t, severity: info, description: d, runbook: r, match: {{}},
     threshold: {{count: {count}, window: 1h}}, dedupe: 0s}}
"""
    )
    engine = DetectionEngine(rule)
    run(engine, [event("s", at) for at in range(100)])
    [state] = engine.groups.values()
    assert len(state.dump()["entries"]) == count
