"""The simulator's traffic generator: schema-valid events, realistic correlation, determinism."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema

from otel_auth0_sim.log_ids import LogIdGenerator, log_id_time
from otel_auth0_sim.state import TenantState
from otel_auth0_sim.traffic import EVENT_TYPES, TrafficGenerator, emit
from tests.shared_data import require_shared_data

SAMPLES_PER_TYPE = 40


def _generator(seed: int) -> TrafficGenerator:
    return TrafficGenerator("sim-tenant", "prod-us-1", "sim-tenant.example.com", seed=seed)


def _sample(seed: int) -> list[dict[str, Any]]:
    """Events until every type the generator can emit occurred at least SAMPLES_PER_TYPE times."""
    generator, ids = _generator(seed), LogIdGenerator()
    events: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    while min((counts[t] for t in EVENT_TYPES), default=0) < SAMPLES_PER_TYPE:
        for event in generator.take(500):
            event["log_id"] = ids.next_id()
            counts[event["type"]] += 1
            events.append(event)
        assert len(events) < 100_000, f"types never generated: {set(EVENT_TYPES) - set(counts)}"
    return events


def test_every_generated_event_validates_against_its_auth0_schema() -> None:
    schema_dir = require_shared_data("data", "auth0-log-schemas", "schemas", "log-types")
    validators = {
        t: jsonschema.Draft7Validator(
            json.loads((schema_dir / f"{t}.schema.json").read_text()),
            format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
        )
        for t in EVENT_TYPES
    }
    events = _sample(seed=7)
    assert {e["type"] for e in events} == EVENT_TYPES
    problems = [
        f"{e['type']} {list(err.absolute_path)}: {err.message}"
        for e in events
        for err in validators[e["type"]].iter_errors(e)
    ]
    assert problems == [], problems[:10]


def test_login_transactions_share_ids_and_carry_timings() -> None:
    events = _sample(seed=11)
    by_transaction: defaultdict[str, list[str]] = defaultdict(list)
    for event in events:
        transaction_id = event.get("details", {}).get("transaction_id")
        if transaction_id:
            by_transaction[transaction_id].append(event["type"])
    assert any(types == ["fp", "s"] for types in by_transaction.values()), "a wrong password then success"
    logins = [e for e in events if e["type"] == "s"]
    for login in logins:
        details = login["details"]
        assert details["elapsedTime"] == details["completedAt"] - details["initiatedAt"] >= 0
        assert [p["name"] for p in details["prompts"]][-1] == "login"
        assert all(p["elapsedTime"] == p["completedAt"] - p["initiatedAt"] for p in details["prompts"])
    traced = [e["references"]["trace_id"] for e in events if "references" in e]
    assert traced and all(re.fullmatch(r"[0-9a-f]{32}", t) for t in traced)
    assert any(":" in e.get("ip", "") for e in events) and any("." in e.get("ip", "") for e in events)
    assert any(e.get("location_info") for e in events) and any(e["isMobile"] for e in events)


def test_same_seed_same_events() -> None:
    def content(seed: int) -> list[dict[str, Any]]:
        return _generator(seed).take(300, now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))

    assert content(5) == content(5)
    assert content(5) != content(6)


def test_take_returns_exactly_the_requested_count_across_scenarios() -> None:
    generator = _generator(1)
    assert [len(generator.take(n)) for n in (1, 2, 3, 50)] == [1, 2, 3, 50]


def test_no_generated_event_is_dated_after_the_ingestion_time_of_its_log_id() -> None:
    state, generator = TenantState("sim.test:443", seed=5), _generator(5)
    stored = emit(state, generator, 3000)
    late = [
        (e["log_id"], e["date"])
        for e in stored
        if datetime.fromisoformat(e["date"].replace("Z", "+00:00"))
        > log_id_time(e["log_id"]) + timedelta(seconds=1)  # the log id keeps whole seconds
    ]
    assert not late, late[:5]
    prompts = [p for e in stored for p in (e.get("details") or {}).get("prompts", [])]
    assert prompts and all(p["completedAt"] >= p["initiatedAt"] for p in prompts)
