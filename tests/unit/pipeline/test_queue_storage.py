"""Persistent queue under storage trouble: a full database changes nothing and says so, the byte cap,
dead letters, compaction after a drain, and the drop_oldest warning."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from otel_auth0.collector_config import parse_config
from otel_auth0.config import DedupeConfig, QueueConfig
from otel_auth0.convert.mapping import Converted
from otel_auth0.convert.wire import Signal
from otel_auth0.runtime import Pipeline
from otel_auth0.state.queue import ParkedEvent, PersistentQueue, QueueFull, StorageError

OTLP = 1
MIB = 1024 * 1024


def item(key: str, size: int = 10) -> Converted:
    return Converted(key=key, logs=key.encode() + b"L" * size)


def open_queue(tmp_path: Path, **limits: object) -> PersistentQueue:
    return PersistentQueue(tmp_path / "q.sqlite3", OTLP, QueueConfig(**limits), DedupeConfig())  # type: ignore[arg-type]


def fill_up(queue: PersistentQueue) -> None:
    """Let the database grow no further (SQLite then fails writes with SQLITE_FULL, as on a full disk)."""
    pages = queue._db.execute("PRAGMA page_count").fetchone()[0]
    queue._db.execute(f"PRAGMA max_page_count={pages}")


def test_a_full_database_refuses_a_batch_without_changing_anything(tmp_path: Path) -> None:
    queue = open_queue(tmp_path)
    queue.enqueue([item("a")], "scope", ("poller", "a"))
    fill_up(queue)
    with pytest.raises(StorageError, match="disk is full"):
        queue.enqueue([item(f"b{i}", 4000) for i in range(50)], "scope", ("poller", "b"))
    assert queue.storage_error is not None and "disk is full" in queue.storage_error
    assert isinstance(StorageError("x"), QueueFull)  # receivers pause / answer 503 as for a full queue
    assert queue.size == 1 and not queue.has_seen("b0")
    checkpoint = queue.get_checkpoint("poller")
    assert checkpoint is not None and checkpoint.value == "a"
    queue._db.execute("PRAGMA max_page_count=1073741823")  # space returns
    assert queue.enqueue([item("b0")], "scope").accepted == 1
    assert queue.storage_error is None and queue.size == 2


def test_an_acknowledgement_that_cannot_be_written_changes_nothing(tmp_path: Path) -> None:
    queue = open_queue(tmp_path)
    queue.enqueue([item(f"k{i}") for i in range(5)], "scope")
    batches = queue.peek(Signal.LOGS, OTLP, 1000)
    queue._db.execute("PRAGMA query_only=1")  # every write now fails, as on a read-only or failing disk
    with pytest.raises(StorageError, match="cannot record an acknowledgement"):
        queue.ack(batches, OTLP)
    assert queue.size == 5 and queue.peek(Signal.LOGS, OTLP, 1000) == batches
    assert queue.storage_error is not None
    queue._db.execute("PRAGMA query_only=0")
    queue.ack(batches, OTLP)
    assert queue.size == 0 and queue.storage_error is None


def test_the_byte_cap_refuses_or_drops(tmp_path: Path) -> None:
    refuse = open_queue(tmp_path / "refuse", max_bytes=MIB)
    refuse.enqueue([item("a", MIB // 2)], "scope")
    with pytest.raises(QueueFull, match="bytes"):
        refuse.enqueue([item("b", MIB // 2 + 100)], "scope")
    assert refuse.stored_bytes == MIB // 2 + 1
    drop = open_queue(tmp_path / "drop", max_bytes=MIB, full_policy="drop_oldest")
    drop.enqueue([item("a", MIB // 2)], "scope")
    drop.enqueue([item("b", MIB // 2 + 100)], "scope")
    assert drop.dropped == 1 and drop.has_seen("b")
    assert [batch.payload[:1] for batch in drop.peek(Signal.LOGS, OTLP, 10)] == [b"b"]


def test_parked_events_share_the_batch_transaction(tmp_path: Path) -> None:
    queue = open_queue(tmp_path, max_items=2)
    bad = ParkedEvent("log_stream", "123", "bad_item", "item 1: no `type`", '{"log_id": "123"}')
    result = queue.enqueue([item("a")], "scope", parked=[bad])
    assert (result.accepted, result.parked) == (1, 1)
    with pytest.raises(QueueFull):
        queue.enqueue([item("b"), item("c")], "scope", parked=[bad])
    assert queue.dead_letters() == [("log_stream", "123", "bad_item", '{"log_id": "123"}')]


def test_the_file_shrinks_after_a_large_drain(tmp_path: Path) -> None:
    queue = open_queue(tmp_path)
    for chunk in range(10):
        queue.enqueue([item(f"{chunk}-{i}", 100_000) for i in range(30)], "scope")
    queue._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    full = (tmp_path / "q.sqlite3").stat().st_size
    queue.ack(queue.peek(Signal.LOGS, OTLP, 10_000), OTLP)
    assert queue.size == 0 and queue.stored_bytes == 0
    assert queue.compact() > 0
    assert (tmp_path / "q.sqlite3").stat().st_size < full / 4
    assert (tmp_path / "q.sqlite3-wal").stat().st_size == 0
    assert queue.compact() == 0  # nothing left to give back


def test_drop_oldest_warns_with_the_number_dropped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = parse_config(
        {
            "state_dir": str(tmp_path / "state"),
            "exporters": {"file": {"path": str(tmp_path / "out.jsonl")}},
            "queue": {"max_items": 2, "full_policy": "drop_oldest"},
        }
    )
    pipeline = Pipeline.create(config)
    for key in "abcde":
        pipeline.queue.enqueue([item(key)], "scope")
    with caplog.at_level(logging.WARNING):
        pipeline.record_health()
        pipeline.record_health()
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings == [
        "queue: full_policy drop_oldest discarded 3 records (the oldest) to make room for new input"
    ]
    pipeline.queue.close()


def test_an_older_file_is_made_shrinkable_when_empty(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    assert sqlite3.connect(path).execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    PersistentQueue(path, OTLP).close()
    assert sqlite3.connect(path).execute("PRAGMA auto_vacuum").fetchone()[0] == 2
