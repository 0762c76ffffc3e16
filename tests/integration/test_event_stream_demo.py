"""Acceptance, as a new user: ``otel-auth0 demo --event-stream`` writes the tenant's user lifecycle
events (Auth0 Event Streams) into the telemetry file next to its logs, and its summary counts them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from otel_auth0.exporters.file import read_otlp_json_lines
from tests.collector_process import run_cli

pytestmark = pytest.mark.integration


def test_demo_with_event_streams_shows_lifecycle_events_next_to_the_logs(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    result = run_cli("demo", "--duration", "15", "--event-stream", "--dir", str(workdir), timeout=300)
    assert result.returncode == 0, result.stderr
    scopes: Counter[str] = Counter()
    lifecycle: Counter[str] = Counter()
    tenants: dict[str, set[str]] = {"otel_auth0.auth0_logs": set(), "otel_auth0.auth0_events": set()}
    for line in read_otlp_json_lines(workdir / "otel-auth0-telemetry.jsonl"):
        for resource in line.get("resourceLogs", []):
            for scope in resource["scopeLogs"]:
                name = scope["scope"]["name"]
                scopes[name] += len(scope["logRecords"])
                for record in scope["logRecords"]:
                    values = {a["key"]: next(iter(a["value"].values())) for a in record.get("attributes", [])}
                    if name in tenants:
                        tenants[name].add(str(values.get("auth0.tenant.name")))
                    if name == "otel_auth0.auth0_events":
                        lifecycle[record["eventName"]] += 1
                        assert "|" in str(values["user.id"])  # provider|id, the user it is about
    assert scopes["otel_auth0.auth0_logs"] > 0 and scopes["otel_auth0.auth0_events"] > 0
    assert set(lifecycle) <= {
        "auth0.event.user.created",
        "auth0.event.user.updated",
        "auth0.event.user.deleted",
    }
    # The same simulated tenant, in the same file.
    assert tenants["otel_auth0.auth0_events"] == tenants["otel_auth0.auth0_logs"] == {"otel-auth0-sim"}
    assert "Event Streams lifecycle events: auth0.event.user." in result.stdout.replace("\n", " ")
