"""``otel-auth0 import`` of Elastic's real Auth0 sample events (plus a few crafted ones) produces OTLP
logs, spans and metrics at a real OTLP endpoint, mapped and redacted as docs/telemetry.md says."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from otel_auth0.convert.spans import transaction_trace_id
from tests.collector_process import run_cli, write_config
from tests.otlp_receiver import OtlpReceiver, attributes
from tests.shared_data import require_shared_data

pytestmark = pytest.mark.integration

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TENANT = "dev-yoj8axza"
EMAILS = ("dev@test.com", "neo@test.com", "new@test.com")


def fixture_envelopes(fixtures: Path) -> list[dict[str, Any]]:
    """Every ``{"log_id", "data"}`` item of Elastic's pipeline test inputs."""
    envelopes = []
    for path in sorted(fixtures.glob("test-*.json")):
        if path.name.endswith("-expected.json"):
            continue
        for item in json.loads(path.read_text(encoding="utf-8"))["events"]:
            envelopes.append(item.get("json", item))
    return envelopes


def crafted() -> list[dict[str, Any]]:
    base = {"date": "2026-11-29T00:00:00Z", "ip": "203.0.113.5", "user_name": "grace@example.com"}
    transaction = {"transaction_id": "tx-import"}
    return [
        {**base, "log_id": "crafted-1", "type": "fp", "details": transaction},
        {**base, "log_id": "crafted-2", "type": "s", "details": {**transaction, "elapsedTime": 1200}},
        {**base, "log_id": "crafted-3", "type": "f", "references": {"trace_id": TRACE}},
        {**base, "log_id": "crafted-4", "type": "api_limit", "details": {"limit": {"bucket": "global"}}},
        {**base, "log_id": "crafted-5", "type": "a_code_from_the_future"},
    ]


def cumulative(receiver: OtlpReceiver, name: str) -> dict[tuple[tuple[str, Any], ...], float]:
    """Latest value per attribute set of a cumulative metric."""
    latest: dict[tuple[tuple[str, Any], ...], float] = defaultdict(float)
    for point in receiver.metric_points(name):
        key = tuple(sorted(point.attributes.items()))
        latest[key] = max(latest[key], point.value or 0.0)
    return dict(latest)


def test_import_produces_logs_spans_and_metrics(tmp_path: Path, otlp_receiver: OtlpReceiver) -> None:
    fixtures = require_shared_data("data", "elastic-auth0-fixtures")
    items = fixture_envelopes(fixtures) + crafted()
    unique_ids = {item.get("log_id") or item["data"]["log_id"] for item in items}
    input_file = tmp_path / "events.json"
    input_file.write_text(json.dumps(items), encoding="utf-8")
    config = write_config(
        tmp_path / "config.yaml",
        {
            "auth0": {"domain": f"{TENANT}.au.auth0.com"},
            "state_dir": str(tmp_path / "state"),
            "exporters": {"otlp": {"endpoint": otlp_receiver.http_endpoint, "protocol": "http/protobuf"}},
            "processors": {"redact": {"fields": ["user.name", "user.email"], "salt": "s3cret"}},
            "telemetry": {"metrics_interval": "60s", "metric_dimensions": ["connection"]},
        },
    )

    result = run_cli("import", "--config", str(config), str(input_file), timeout=120)
    assert result.returncode == 0, result.stderr

    received = otlp_receiver.log_records()
    logs = [log for log in received if log.scope == "otel_auth0.auth0_logs"]
    by_id = {attributes(log.record.attributes)["auth0.log.id"]: log for log in logs}
    assert set(by_id) == unique_ids and len(logs) == len(unique_ids)
    # Elastic's fixtures hold two client grants to the Management API and three role changes (a role
    # created, updated, assigned: Panther's custom-role rule); crafted-4 is a rate limit (`limit_event`).
    detections = [log for log in received if log.scope != "otel_auth0.auth0_logs"]
    assert {log.scope for log in detections} == {"otel_auth0.detections"}
    assert Counter(log.record.event_name for log in detections) == {
        "auth0.detection.management_api_grant": 2,
        "auth0.detection.role_changed": 3,
        "auth0.detection.limit_event": 1,
    }
    unknown = attributes(by_id["crafted-5"].record.attributes)
    assert (unknown["auth0.log.category"], unknown["auth0.log.outcome"]) == ("other", "unknown")

    spans = {span.span.span_id: span.span for span in otlp_receiver.spans()}
    names = {span.name for span in spans.values()}
    assert {"auth0.log.s", "auth0.prompt.login", "auth0.prompt.consent", "auth0.log.fp"} <= names
    for log in logs:  # every log record with a span id points at a span that arrived
        if log.record.span_id:
            assert spans[log.record.span_id].trace_id == log.record.trace_id
    expected_trace = transaction_trace_id(TENANT, "tx-import")
    assert by_id["crafted-1"].record.trace_id == by_id["crafted-2"].record.trace_id == expected_trace
    assert by_id["crafted-3"].record.trace_id.hex() == TRACE

    events = cumulative(otlp_receiver, "auth0.log.events")
    assert sum(events.values()) == len(unique_ids)
    assert any(("auth0.connection", "Username-Password-Authentication") in key for key in events)
    rate_limits = cumulative(otlp_receiver, "auth0.rate_limit.events")
    assert rate_limits[(("auth0.log.type", "api_limit"),)] >= 1
    assert cumulative(otlp_receiver, "auth0.log.unknown_types") == {
        (("auth0.log.type", "a_code_from_the_future"),): 1
    }
    assert otlp_receiver.metric_points("auth0.transaction.duration")

    exported = json.dumps(
        [attributes(log.record.attributes) for log in logs]
        + [attributes(s.attributes) for s in spans.values()]
    ) + "".join(log.record.body.string_value for log in logs)
    for email in (*EMAILS, "grace@example.com"):
        assert email not in exported
