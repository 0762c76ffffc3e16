"""The persistent queue (SQLite, WAL) between every receiver and the exporters.

One row per enqueued batch and signal holds that batch's pre-framed records. Each row carries a bit
per configured exporter that has not yet acknowledged it; the row is deleted when the last bit clears,
so a down backend never blocks another and nothing leaves the queue unacknowledged. Enqueueing,
dedupe by key and a receiver's checkpoint are written in one transaction: a batch is either wholly
enqueued with its checkpoint, or not at all.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from otel_auth0.config import DedupeConfig, QueueConfig
from otel_auth0.convert.mapping import Converted
from otel_auth0.convert.wire import Signal
from otel_auth0.pipeline.checkpoints import SELECT_CHECKPOINT, Checkpoint, queue_path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    signal INTEGER NOT NULL,
    scope TEXT NOT NULL,
    records INTEGER NOT NULL,
    payload BLOB NOT NULL,
    pending INTEGER NOT NULL,
    enqueued_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS items_by_signal ON items (signal, id);
CREATE INDEX IF NOT EXISTS items_by_age ON items (enqueued_at);
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, seen_at REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_by_time ON seen (seen_at);
CREATE TABLE IF NOT EXISTS rejected (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id INTEGER NOT NULL,
    signal INTEGER NOT NULL,
    scope TEXT NOT NULL,
    records INTEGER NOT NULL,
    payload BLOB NOT NULL,
    exporter TEXT NOT NULL,
    rejected_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at REAL NOT NULL);
"""


class QueueFull(Exception):
    """The queue is at its limit and the policy is to refuse new input (HTTP 503 / poller pauses)."""


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    """How many events were enqueued and how many were skipped as already seen."""

    accepted: int
    duplicates: int
    accepted_indices: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class QueuedBatch:
    """A stored row, as handed to an exporter."""

    row_id: int
    scope: str
    records: int
    payload: bytes


class PersistentQueue:
    """Thread-safe; one SQLite connection guarded by a lock."""

    def __init__(
        self,
        path: Path,
        exporter_mask: int,
        queue: QueueConfig | None = None,
        dedupe: DedupeConfig | None = None,
    ) -> None:
        if exporter_mask <= 0:
            raise ValueError("at least one exporter bit is required")
        self._config = queue or QueueConfig()
        self._dedupe = dedupe or DedupeConfig()
        self._mask = exporter_mask
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)
        self.dropped = 0
        with self._lock, self._transaction():
            # Exporters removed from the configuration no longer hold rows back.
            self._db.execute("UPDATE items SET pending = pending & ?", (self._mask,))
            self._db.execute("DELETE FROM items WHERE pending = 0")
            self._size = int(self._db.execute("SELECT COALESCE(SUM(records), 0) FROM items").fetchone()[0])
            self._seen_count = int(self._db.execute("SELECT COUNT(*) FROM seen").fetchone()[0])

    @classmethod
    def in_state_dir(
        cls,
        state_dir: Path | str,
        exporter_mask: int,
        queue: QueueConfig | None = None,
        dedupe: DedupeConfig | None = None,
    ) -> PersistentQueue:
        """The collector's queue under ``state_dir``."""
        return cls(queue_path(state_dir), exporter_mask, queue, dedupe)

    def _transaction(self, synchronous: str = "FULL") -> _Transaction:
        return _Transaction(self._db, synchronous)

    @property
    def size(self) -> int:
        """Records waiting for at least one exporter (log records and spans)."""
        return self._size

    def oldest_age(self) -> float:
        """Seconds since the oldest waiting row was enqueued (0 when empty)."""
        with self._lock:
            row = self._db.execute("SELECT MIN(enqueued_at) FROM items").fetchone()
        return max(0.0, time.time() - row[0]) if row and row[0] is not None else 0.0

    def enqueue(
        self,
        batch: Sequence[Converted],
        scope: str,
        checkpoint: tuple[str, str] | None = None,
    ) -> EnqueueResult:
        """Durably store ``batch`` (skipping keys already seen) and ``checkpoint`` in one transaction."""
        now = time.time()
        incoming = sum(_records(item) for item in batch)
        with self._lock:
            self._make_room(incoming, now)
            accepted: list[Converted] = []
            indices: list[int] = []
            with self._transaction():
                for index, item in enumerate(batch):
                    if item.key is not None:
                        cursor = self._db.execute(
                            "INSERT OR IGNORE INTO seen (key, seen_at) VALUES (?, ?)", (item.key, now)
                        )
                        if cursor.rowcount == 0:
                            continue
                    accepted.append(item)
                    indices.append(index)
                added = 0
                for signal, payload, records in _by_signal(accepted):
                    self._db.execute(
                        "INSERT INTO items (signal, scope, records, payload, pending, enqueued_at)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (int(signal), scope, records, payload, self._mask, now),
                    )
                    added += records
                if checkpoint is not None:
                    self._set_checkpoint(checkpoint[0], checkpoint[1], now)
            self._size += added
            self._seen_count += sum(1 for item in accepted if item.key is not None)
        return EnqueueResult(len(accepted), len(batch) - len(accepted), tuple(indices))

    def _make_room(self, incoming: int, now: float) -> None:
        if self._size + incoming <= self._config.max_items and not self._too_old(now):
            return
        if self._config.full_policy == "refuse":
            raise QueueFull(
                f"queue holds {self._size} records (limit {self._config.max_items}, max age "
                f"{self._config.max_age:.0f}s); waiting for the exporters to catch up"
            )
        with self._transaction():
            while self._size + incoming > self._config.max_items or self._too_old(now):
                row = self._db.execute("SELECT id, records FROM items ORDER BY id LIMIT 1").fetchone()
                if row is None:
                    break
                self._db.execute("DELETE FROM items WHERE id = ?", (row[0],))
                self._size -= row[1]
                self.dropped += row[1]

    def _too_old(self, now: float) -> bool:
        row = self._db.execute("SELECT MIN(enqueued_at) FROM items").fetchone()
        return bool(row and row[0] is not None and now - row[0] > self._config.max_age)

    def peek(self, signal: Signal, exporter_bit: int, max_records: int) -> list[QueuedBatch]:
        """The oldest rows of ``signal`` not yet acknowledged by ``exporter_bit``, up to ``max_records``."""
        with self._lock:
            cursor = self._db.execute(
                "SELECT id, scope, records, payload FROM items WHERE signal = ? AND (pending & ?) != 0"
                " ORDER BY id",
                (int(signal), exporter_bit),
            )
            batches: list[QueuedBatch] = []
            total = 0
            for row_id, scope, records, payload in cursor:
                if batches and total + records > max_records:
                    break
                batches.append(QueuedBatch(row_id, scope, records, payload))
                total += records
            cursor.close()
        return batches

    def ack(self, batches: Iterable[QueuedBatch], exporter_bit: int) -> None:
        """Record that ``exporter_bit`` delivered ``batches``; rows nobody waits for are deleted."""
        ids = [batch.row_id for batch in batches]
        if not ids:
            return
        # An acknowledgement lost to a power cut only means that batch is sent again (the bounded
        # duplicate), so it is not worth an fsync; enqueues keep synchronous=FULL.
        with self._lock, self._transaction(synchronous="NORMAL"):
            placeholders = ",".join("?" * len(ids))
            # Rows only this exporter still waits for are deleted outright: updating them first would
            # rewrite their payloads just before deleting them.
            done = self._db.execute(
                f"DELETE FROM items WHERE pending & ~? = 0 AND id IN ({placeholders}) RETURNING records",
                (exporter_bit, *ids),
            ).fetchall()
            self._db.execute(
                f"UPDATE items SET pending = pending & ~? WHERE id IN ({placeholders})", (exporter_bit, *ids)
            )
            self._size -= sum(row[0] for row in done)

    def reject(self, batch: QueuedBatch, signal: Signal, exporter_bit: int, exporter: str) -> None:
        """Park a row one exporter's backend refused for good in the ``rejected`` table (kept for
        inspection, never silently dropped) and release it for that exporter."""
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT INTO rejected (item_id, signal, scope, records, payload, exporter, rejected_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (batch.row_id, int(signal), batch.scope, batch.records, batch.payload, exporter, time.time()),
            )
        self.ack([batch], exporter_bit)

    def rejected_count(self) -> int:
        """Rows parked in the ``rejected`` table."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM rejected").fetchone()[0])

    def get_checkpoint(self, name: str) -> Checkpoint | None:
        """A receiver's persisted position, or ``None`` before its first batch."""
        with self._lock:
            row = self._db.execute(SELECT_CHECKPOINT, (name,)).fetchone()
        return Checkpoint(row[0], row[1]) if row else None

    def set_checkpoint(self, name: str, value: str) -> None:
        """Persist a position outside an enqueue (e.g. the starting point resolved on first start)."""
        with self._lock, self._transaction():
            self._set_checkpoint(name, value, time.time())

    def _set_checkpoint(self, name: str, value: str, now: float) -> None:
        self._db.execute(
            "INSERT INTO checkpoints (name, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (name, value, now),
        )

    def has_seen(self, key: str) -> bool:
        """Whether ``key`` was already enqueued (within the dedupe window)."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM seen WHERE key = ?", (key,)).fetchone() is not None

    def prune_seen(self) -> int:
        """Forget keys older than the dedupe window or beyond its size; returns how many were forgotten."""
        cutoff = time.time() - self._dedupe.window
        with self._lock, self._transaction():
            removed = self._db.execute("DELETE FROM seen WHERE seen_at < ?", (cutoff,)).rowcount
            excess = self._seen_count - removed - self._dedupe.max_ids
            if excess > 0:
                removed += self._db.execute(
                    "DELETE FROM seen WHERE key IN (SELECT key FROM seen ORDER BY seen_at LIMIT ?)", (excess,)
                ).rowcount
            self._seen_count -= removed
        return removed

    def close(self) -> None:
        """Fold the WAL into the database file and close it."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` / ``ROLLBACK`` on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection, synchronous: str) -> None:
        self._db = db
        self._synchronous = synchronous

    def __enter__(self) -> None:
        self._db.execute(f"PRAGMA synchronous={self._synchronous}")
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _records(item: Converted) -> int:
    return (1 if item.logs else 0) + item.span_count


def _by_signal(items: Sequence[Converted]) -> list[tuple[Signal, bytes, int]]:
    """Concatenate the framed records of ``items`` per signal with their record counts."""
    out: list[tuple[Signal, bytes, int]] = []
    logs = [item.logs for item in items if item.logs]
    if logs:
        out.append((Signal.LOGS, b"".join(logs), len(logs)))
    spans = [item.spans for item in items if item.spans]
    if spans:
        out.append((Signal.SPANS, b"".join(spans), sum(item.span_count for item in items)))
    return out
