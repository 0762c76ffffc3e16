"""Our catalog outcome agrees with Elastic's ``event.outcome`` on Elastic's real sample events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from otel_auth0.convert.catalog import lookup
from tests.shared_data import require_shared_data

# {code: reason} for codes where Elastic says success/failure and we deliberately say otherwise.
# Each entry must really disagree in the fixtures and be explained in docs/telemetry.md.
DELIBERATE_DISAGREEMENTS: dict[str, str] = {}
MIN_COMPARED_EVENTS = 140
TELEMETRY_DOC = Path(__file__).parents[3] / "docs" / "telemetry.md"

# (source, Auth0 type code, Elastic's event.outcome or None when Elastic gives none)
Verdict = tuple[str, str, str | None]


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _event_outcome(document: dict[str, Any]) -> str | None:
    event = document.get("event")
    return event.get("outcome") if isinstance(event, dict) else None


def _unwrap(item: dict[str, Any]) -> dict[str, Any]:
    """``{"json": {"log_id", "data"}}`` or ``{"log_id", "data"}`` -> the envelope with ``data``."""
    envelope = item.get("json", item)
    assert isinstance(envelope, dict) and isinstance(envelope.get("data"), dict), item
    return envelope


def _paired(fixtures: Path) -> Iterator[Verdict]:
    """Input files and their ``-expected.json`` documents, matched by position."""
    for expected_path in sorted(fixtures.glob("*.json-expected.json")):
        inputs = _load(expected_path.with_name(expected_path.name.removesuffix("-expected.json")))["events"]
        expected = _load(expected_path)["expected"]
        assert len(inputs) == len(expected), expected_path.name
        for item, document in zip(inputs, expected, strict=True):
            yield expected_path.name, _unwrap(item)["data"]["type"], _event_outcome(document)


def _outcomes_by_log_id(fixtures: Path) -> dict[str, str]:
    outcomes: dict[str, str] = {}
    for expected_path in fixtures.glob("*.json-expected.json"):
        for document in _load(expected_path)["expected"]:
            outcome, event_id = _event_outcome(document), document.get("event", {}).get("id")
            if outcome and event_id:
                outcomes[event_id] = outcome
    return outcomes


def _ndjson(fixtures: Path) -> Iterator[Verdict]:
    """Line-per-event logs; Elastic's verdict comes from the expected document with the same log_id."""
    outcomes = _outcomes_by_log_id(fixtures)
    for path in sorted(fixtures.glob("*.log")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                envelope = _unwrap(json.loads(line))
                yield path.name, envelope["data"]["type"], outcomes.get(envelope["log_id"])


def _sample_event(fixtures: Path) -> Iterator[Verdict]:
    document = _load(fixtures / "sample_event.json")
    original = _unwrap(json.loads(document["event"]["original"]))
    yield "sample_event.json", original["data"]["type"], _event_outcome(document)


def _all_verdicts(fixtures: Path) -> list[Verdict]:
    return [*_paired(fixtures), *_ndjson(fixtures), *_sample_event(fixtures)]


def test_outcomes_agree_with_elastic() -> None:
    fixtures = require_shared_data("data", "elastic-auth0-fixtures")
    verdicts = _all_verdicts(fixtures)
    compared, disagreements = 0, set()
    for source, code, elastic in verdicts:
        if elastic not in ("success", "failure"):
            continue
        compared += 1
        ours = lookup(code).outcome
        if ours != elastic:
            assert code in DELIBERATE_DISAGREEMENTS, f"{source}: {code} is {ours}, Elastic says {elastic}"
            disagreements.add(code)
    assert compared >= MIN_COMPARED_EVENTS
    assert disagreements == set(DELIBERATE_DISAGREEMENTS), "stale entries in DELIBERATE_DISAGREEMENTS"


def test_every_fixture_event_was_read() -> None:
    fixtures = require_shared_data("data", "elastic-auth0-fixtures")
    by_source: dict[str, int] = {}
    for source, _code, _elastic in _all_verdicts(fixtures):
        by_source[source] = by_source.get(source, 0) + 1
    assert by_source["auth0-ndjson.log"] == by_source["auth0-ndjson-1.log"] == 22
    assert by_source["test-pull-responses.json-expected.json"] == 7
    assert sum(by_source.values()) == 195
    assert all(outcome for source, _c, outcome in _ndjson(fixtures)), "ndjson event without Elastic verdict"


def test_deliberate_disagreements_are_documented() -> None:
    text = TELEMETRY_DOC.read_text(encoding="utf-8")
    for code, reason in DELIBERATE_DISAGREEMENTS.items():
        assert reason
        assert f"`{code}`" in text
