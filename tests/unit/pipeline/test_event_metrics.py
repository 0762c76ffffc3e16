"""Event metrics through the real intake: counted once per enqueued event, with capped dimensions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from otel_auth0.config import TelemetryConfig
from otel_auth0.convert.events import normalize_event
from otel_auth0.convert.mapping import EventConverter
from otel_auth0.instruments import Instruments
from otel_auth0.pipeline.event_metrics import OVERFLOW, CardinalityCap
from otel_auth0.pipeline.intake import Intake
from otel_auth0.state.queue import PersistentQueue


def collect(reader: InMemoryMetricReader) -> dict[str, tuple[str, list[tuple[dict[str, Any], Any]]]]:
    """``{name: (unit, [(attributes, point)])}``."""
    out: dict[str, tuple[str, list[tuple[dict[str, Any], Any]]]] = {}
    data = reader.get_metrics_data()
    assert data is not None
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                points = [(dict(point.attributes or {}), point) for point in metric.data.data_points]
                out[metric.name] = (metric.unit or "", points)
    return out


def make_intake(tmp_path: Path, **telemetry: Any) -> tuple[Intake, InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    instruments = Instruments(MeterProvider(metric_readers=[reader]).get_meter("test"))
    queue = PersistentQueue(tmp_path / "queue.sqlite3", 1)
    converter = EventConverter(tenant="acme", telemetry=TelemetryConfig(**telemetry))
    return Intake(queue, converter, instruments), reader


def event(log_id: str, type_: str, **fields: Any) -> dict[str, Any]:
    return normalize_event({"log_id": log_id, "type": type_, "date": "2026-11-29T00:00:00Z", **fields})


def test_event_counters_rate_limits_unknown_codes_durations_and_lag(tmp_path: Path) -> None:
    intake, reader = make_intake(tmp_path)
    timed = {"initiatedAt": 1_000_000, "completedAt": 1_004_500}
    batch = [
        event("1", "s", details=timed),
        event("2", "f"),
        event("3", "f"),
        event("4", "api_limit"),
        event("5", "limit_wc"),
        event("6", "brand_new"),
    ]
    intake.submit_events(batch, "import")
    intake.submit_events(batch[:3], "import")  # redelivered: not counted again
    metrics = collect(reader)

    unit, points = metrics["auth0.log.events"]
    assert unit == "{event}"
    counts = {
        (p["auth0.log.type"], p["auth0.log.category"], p["auth0.log.outcome"]): pt.value for p, pt in points
    }
    assert counts == {
        ("s", "auth.login.success", "success"): 1,
        ("f", "auth.login.fail", "failure"): 2,
        ("api_limit", "system.notification", "failure"): 1,
        ("limit_wc", "system.notification", "failure"): 1,
        ("brand_new", "other", "unknown"): 1,
    }
    rate = {p["auth0.log.type"]: pt.value for p, pt in metrics["auth0.rate_limit.events"][1]}
    assert rate == {"api_limit": 1, "limit_wc": 1}
    assert {p["auth0.log.type"]: pt.value for p, pt in metrics["auth0.log.unknown_types"][1]} == {
        "brand_new": 1
    }
    unit, points = metrics["auth0.transaction.duration"]
    assert unit == "s" and len(points) == 1
    assert points[0][1].count == 1 and points[0][1].sum == 4.5
    unit, points = metrics["auth0.ingest.lag"]
    assert unit == "s" and points[0][0] == {"otel_auth0.receiver": "import"} and points[0][1].value > 0
    assert {pt.value for _, pt in metrics["otel_auth0.receiver.duplicates"][1]} == {3}


def test_connection_and_client_dimensions_are_capped(tmp_path: Path) -> None:
    intake, reader = make_intake(tmp_path, metric_dimensions=["connection", "client"], cardinality_limit=2)
    batch = [
        event(
            str(index), "s", connection=f"conn-{index}", client_id=f"cid-{index}", client_name=f"App {index}"
        )
        for index in range(4)
    ]
    batch.append(event("9", "s"))
    intake.submit_events(batch, "import")
    points = collect(reader)["auth0.log.events"][1]
    seen = {
        (p.get("auth0.connection"), p.get("auth0.client.id"), p.get("auth0.client.name")): pt.value
        for p, pt in points
    }
    assert seen == {
        ("conn-0", "cid-0", "App 0"): 1,
        ("conn-1", "cid-1", "App 1"): 1,
        (OVERFLOW, OVERFLOW, None): 2,
        (None, None, None): 1,
    }


def test_without_dimensions_only_the_classification_is_an_attribute(tmp_path: Path) -> None:
    intake, reader = make_intake(tmp_path)
    intake.submit_events([event("1", "s", connection="db", client_id="cid")], "import")
    ((attributes, _),) = collect(reader)["auth0.log.events"][1]
    assert set(attributes) == {"auth0.log.type", "auth0.log.category", "auth0.log.outcome"}


def test_cardinality_cap_keeps_admitted_values() -> None:
    cap = CardinalityCap(1)
    assert [cap.admit(value) for value in ("a", "b", "a")] == ["a", OVERFLOW, "a"]
