"""Each ``make bench`` measurement on a tiny input, so the benchmark code cannot rot (no timing asserted)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ScopeLogs
from rich.console import Console

from bench import baseline, mapping, memory, pipeline, poller, scaling
from bench.compare import compare
from bench.events import bodies, stream_items
from bench.load_client import Batches
from bench.machine import machine_info
from bench.report import render, summary
from otel_auth0.convert.events import normalize_event


@pytest.fixture(scope="module")
def items() -> list[dict[str, object]]:
    return stream_items(200)


def test_baseline_emits_the_log_attributes_the_mapping_emits(items: list[dict[str, object]]) -> None:
    encoded = bodies(items, batch=50)
    direct = [LogRecord.FromString(record) for record in baseline.encode_bodies(encoded)]
    target, queue, _ = mapping.intake()
    ours: list[set[str]] = []
    for body in encoded:
        target.submit_events([normalize_event(item) for item in json.loads(body)], "log_stream")
        for converted in queue.last:
            (record,) = ScopeLogs.FromString(converted.logs).log_records  # a framed log_records entry
            ours.append({pair.key for pair in record.attributes})
    assert len(direct) == len(ours) == len(items)
    shared = sum(len(o & {pair.key for pair in d.attributes}) for o, d in zip(ours, direct, strict=True))
    assert shared / sum(len(o) for o in ours) > 0.9


def test_in_process_measurements_count_every_event(items: list[dict[str, object]]) -> None:
    rounds = [bodies(items[:100]), bodies(items[100:])]
    assert baseline.measure(rounds, 100).events == 100
    assert mapping.measure(rounds, 100).per_second > 0
    a, b = compare(rounds, 100)
    _, _, d = compare(rounds, 100, with_detections=True)
    assert a.events == b.events == d.events == 100 and a.seconds > 0 and b.seconds > 0 and d.seconds > 0
    rows = scaling.measure([items[:20]])
    assert [row["padding_kib"] for row in rows] == list(scaling.PADDING_KIB)
    assert rows[-1]["bytes_per_event"] > rows[0]["bytes_per_event"] + 16_000


def test_load_client_bodies_have_unique_log_ids() -> None:
    batches = Batches(pool=5, batch=4, seed=1)
    ids = [item["log_id"] for _ in range(3) for item in json.loads(batches.body())]
    assert len(set(ids)) == 12
    assert all(isinstance(i, str) and len(i) == 56 for i in ids)


def test_process_measurements_and_report(tmp_path: Path) -> None:
    for name in ("pipeline", "pipeline_detections", "poller", "memory"):
        (tmp_path / name).mkdir()
    results: dict[str, Any] = {
        "machine": machine_info(0),
        "baseline": {"events_per_s": 1000.0},
        "mapping": {"events_per_s": 800.0},
        "detections": {"events_per_s": 600.0},
        "size_scaling": scaling.measure([stream_items(10)]),
        "pipeline": pipeline.measure(tmp_path / "pipeline", seconds=1.0, concurrency=2, batch=20),
        "pipeline_detections": pipeline.measure(
            tmp_path / "pipeline_detections", seconds=1.0, concurrency=2, batch=20, detections=True
        ),
        "poller": poller.measure(tmp_path / "poller", rate_limit=20, seconds_at_bound=0.5),
        "memory": memory.measure(tmp_path / "memory", events=2000, live_events=100, drain_seconds=60),
    }
    assert results["pipeline"]["events_received"] == results["pipeline"]["events_accepted"] > 0
    assert results["poller"]["events_received"] == results["poller"]["backlog"] == 1000
    assert results["memory"]["drained_log_records"] == 2100
    assert results["memory"]["peak_rss_mb_queued"] > 0
    headline = summary(results)
    assert headline["mapping_ratio"] == 0.8 and headline["detections_ratio"] == 0.6
    console = Console(record=True, width=200)
    console.print(render({**headline, **results}))
    assert "(e) peak RSS" in console.export_text()


def test_state_backends_measure_sqlite_and_postgres_replicas(tmp_path: Path, postgres_server: object) -> None:
    from bench import state_backends

    result = state_backends.measure(tmp_path, batches=3, size=5, replicas=(1, 2))
    assert result["sqlite_events_per_s"] > 0 and "skipped" not in result
    assert [row["replicas"] for row in result["postgres"]] == [1, 2]
    assert all(row["events_per_s"] > 0 and row["ratio_to_sqlite"] > 0 for row in result["postgres"])
