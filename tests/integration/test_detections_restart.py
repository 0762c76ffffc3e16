"""``kill -9`` of ``otel-auth0 run`` in the middle of a brute force keeps the half-full window: after the
restart the 20th failed login fires the detection with all 20 contributing log ids; ``otel-auth0
detect`` over the same events prints the same detection."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from otel_auth0.detections.processor import STATE_FILE
from otel_auth0.exporters.file import read_otlp_json_lines
from otel_auth0_sim.scenarios import brute_force
from tests.collector_process import run_cli
from tests.integration.log_stream_process import (
    as_array,
    free_port,
    post_items,
    running_collector,
    stream_config,
    write_config,
)
from tests.unit.detections.test_default_rules import generator

pytestmark = pytest.mark.integration

WAIT = 120.0


def attempts() -> list[dict[str, Any]]:
    """The brute_force scenario's 25 failed logins as Log Stream items (fresh log ids, dated now)."""
    failures = [e for e in brute_force(generator(), datetime.now(UTC)) if e["type"] == "fp"]
    base = time.time_ns()
    return [
        {"log_id": f"{base + i:056d}", "data": {**e, "log_id": f"{base + i:056d}"}}
        for i, e in enumerate(failures)
    ]


def saved_entries(state_dir: Path) -> int:
    """Events in the saved brute_force window (0 before the first save)."""
    path = state_dir / STATE_FILE
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT state FROM groups WHERE rule = 'brute_force'").fetchall()
    return sum(len(json.loads(row[0])["entries"]) for row in rows)


def detections(path: Path) -> list[dict[str, Any]]:
    """Detection log records of the telemetry file, attributes flattened."""
    found = []
    for line in read_otlp_json_lines(path):
        for resource in line.get("resourceLogs", []):
            for scope in resource.get("scopeLogs", []):
                if scope["scope"]["name"] == "otel_auth0.detections":
                    for record in scope["logRecords"]:
                        values = {a["key"]: next(iter(a["value"].values())) for a in record["attributes"]}
                        found.append({"event_name": record["eventName"], **values})
    return found


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_window_survives_kill_9_and_detect_agrees(tmp_path: Path) -> None:
    port = free_port()
    state_dir = tmp_path / "state"
    telemetry = tmp_path / "telemetry.jsonl"
    config = write_config(
        tmp_path / "config.yaml",
        {
            "state_dir": str(state_dir),
            "receivers": {"log_stream": stream_config(port)},
            # One IP: brute_force_slow (per account and IP) would fire on the fifth failure.
            "processors": {"detections": {"save_interval": "200ms", "disabled_rules": ["brute_force_slow"]}},
            "exporters": {"file": {"path": str(telemetry)}},
        },
    )
    items = attempts()[:20]
    with running_collector(config, tmp_path / "first.log", port) as collector:
        assert post_items(collector.stream_url, as_array(items[:19])).status_code == 200
        wait_for(lambda: saved_entries(state_dir) == 19, "19 saved window entries")
        collector.kill()
    assert detections(telemetry) == []
    with running_collector(config, tmp_path / "second.log", port) as collector:
        assert post_items(collector.stream_url, as_array(items[19:])).status_code == 200
        wait_for(lambda: detections(telemetry), "the detection in the telemetry file")
        collector.terminate()
    [detection] = detections(telemetry)
    log_ids = [item["log_id"] for item in items]
    assert detection["event_name"] == "auth0.detection.brute_force"
    assert detection["auth0.detection.count"] in (20, "20")
    assert [v["stringValue"] for v in detection["auth0.detection.log_ids"]["values"]] == log_ids

    archive = tmp_path / "events.json"
    archive.write_text(json.dumps(items))
    replay = run_cli("detect", str(archive), "--json", timeout=120)
    assert replay.returncode == 0, replay.stderr
    assert [
        (d["rule"], d["count"], d["log_ids"]) for d in json.loads(replay.stdout) if d["rule"] == "brute_force"
    ] == [("brute_force", 20, log_ids)]
