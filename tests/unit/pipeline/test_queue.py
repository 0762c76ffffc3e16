"""Persistent queue: atomic enqueue with dedupe and checkpoint, per-exporter acknowledgement, limits."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from otel_auth0.config import DedupeConfig, QueueConfig
from otel_auth0.convert.mapping import Converted
from otel_auth0.convert.wire import Signal
from otel_auth0.state.queue import PersistentQueue, QueueFull

OTLP, FILE = 1, 2


def item(key: str | None, spans: int = 0) -> Converted:
    return Converted(key=key, logs=b"L" + (key or "").encode(), spans=b"S" * spans, span_count=spans)


def open_queue(tmp_path: Path, mask: int = OTLP | FILE, **limits: object) -> PersistentQueue:
    return PersistentQueue(tmp_path / "q.sqlite3", mask, QueueConfig(**limits), DedupeConfig())  # type: ignore[arg-type]


def test_enqueue_dedupes_and_checkpoints_atomically(tmp_path: Path) -> None:
    queue = open_queue(tmp_path)
    first = queue.enqueue([item("a"), item("b", spans=2), item("a")], "scope", ("poller", "b"))
    assert (first.accepted, first.duplicates, first.accepted_indices) == (2, 1, (0, 1))
    assert queue.size == 4  # two log records and two spans
    again = queue.enqueue([item("b"), item("c")], "scope")
    assert (again.accepted, again.duplicates) == (1, 1)
    checkpoint = queue.get_checkpoint("poller")
    assert checkpoint is not None and checkpoint.value == "b"


def test_rows_leave_only_when_every_exporter_acknowledged(tmp_path: Path) -> None:
    queue = open_queue(tmp_path)
    queue.enqueue([item("a"), item("b")], "scope")
    batches = queue.peek(Signal.LOGS, OTLP, 100)
    assert [b.payload for b in batches] == [b"LaLb"]
    queue.ack(batches, OTLP)
    assert queue.peek(Signal.LOGS, OTLP, 100) == []
    assert queue.size == 2  # the file exporter still waits for them
    queue.ack(queue.peek(Signal.LOGS, FILE, 100), FILE)
    assert queue.size == 0


def test_state_survives_reopen_and_removed_exporters_release_rows(tmp_path: Path) -> None:
    queue = open_queue(tmp_path)
    queue.enqueue([item("a")], "scope", ("poller", "a"))
    queue.ack(queue.peek(Signal.LOGS, FILE, 10), FILE)
    queue.close()
    reopened = open_queue(tmp_path)
    assert reopened.size == 1 and reopened.has_seen("a")
    reopened.close()
    file_only = open_queue(tmp_path, mask=FILE)  # OTLP removed from the configuration
    assert file_only.size == 0
    checkpoint = file_only.get_checkpoint("poller")
    assert checkpoint is not None and checkpoint.value == "a"


def test_refuse_policy_raises_without_side_effects(tmp_path: Path) -> None:
    queue = open_queue(tmp_path, max_items=3)
    queue.enqueue([item("a"), item("b")], "scope", ("poller", "b"))
    with pytest.raises(QueueFull):
        queue.enqueue([item("c"), item("d")], "scope", ("poller", "d"))
    assert not queue.has_seen("c")
    checkpoint = queue.get_checkpoint("poller")
    assert checkpoint is not None and checkpoint.value == "b"


def test_drop_oldest_policy_counts_drops(tmp_path: Path) -> None:
    queue = open_queue(tmp_path, max_items=2, full_policy="drop_oldest")
    queue.enqueue([item("a")], "scope")
    queue.enqueue([item("b")], "scope")
    queue.enqueue([item("c")], "scope")
    assert queue.size == 2 and queue.dropped == 1
    assert [b.payload for b in queue.peek(Signal.LOGS, OTLP, 10)] == [b"Lb", b"Lc"]


def test_peek_respects_batch_size_but_returns_at_least_one_row(tmp_path: Path) -> None:
    queue = open_queue(tmp_path)
    queue.enqueue([item(str(i)) for i in range(5)], "scope")
    queue.enqueue([item("x")], "scope")
    assert len(queue.peek(Signal.LOGS, OTLP, 1)) == 1
    assert sum(b.records for b in queue.peek(Signal.LOGS, OTLP, 6)) == 6


def test_dedupe_window_by_count(tmp_path: Path) -> None:
    queue = PersistentQueue(tmp_path / "q.sqlite3", OTLP, QueueConfig(), DedupeConfig(max_ids=2))
    for key in "abcd":
        queue.enqueue([item(key)], "scope")
    assert queue.prune_seen() == 2
    assert not queue.has_seen("a") and queue.has_seen("d")


def test_database_is_wal(tmp_path: Path) -> None:
    open_queue(tmp_path).close()
    mode = sqlite3.connect(tmp_path / "q.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_age_lookups_use_an_index_not_a_scan_of_the_payloads(tmp_path: Path) -> None:
    open_queue(tmp_path).close()
    db = sqlite3.connect(tmp_path / "q.sqlite3")
    plan = " ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN SELECT MIN(enqueued_at) FROM items"))
    assert "items_by_age" in plan


def test_partial_acknowledgement_keeps_the_row_for_the_other_exporter(tmp_path: Path) -> None:
    queue = open_queue(tmp_path)
    queue.enqueue([item("a", spans=2)], "scope")
    assert queue.size == 3
    queue.ack(queue.peek(Signal.LOGS, FILE, 10), FILE)
    assert queue.size == 3 and queue.peek(Signal.LOGS, OTLP, 10) and not queue.peek(Signal.LOGS, FILE, 10)
    queue.ack(queue.peek(Signal.LOGS, OTLP, 10), OTLP)
    assert queue.size == 2
