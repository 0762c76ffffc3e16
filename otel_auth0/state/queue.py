"""The persistent queue (SQLite, WAL) between every receiver and the exporters.

One row per enqueued batch and signal holds that batch's pre-framed records. Each row carries a bit
per configured exporter that has not yet acknowledged it; the row is deleted when the last bit clears,
so a down backend never blocks another and nothing leaves the queue unacknowledged. Enqueueing,
dedupe by key and a receiver's checkpoint are written in one transaction: a batch is either wholly
enqueued with its checkpoint, or not at all. Events a receiver could not convert are parked in the
``dead_letters`` table in that same transaction, with their reason.

Storage failures (a full disk, an I/O error) raise :class:`StorageError` and leave the queue as it
was; ``storage_error`` says what went wrong until the next write succeeds. The file is bounded by
``queue.max_bytes`` (payload bytes) beside ``queue.max_items`` and shrinks after large drains
(incremental vacuum, WAL truncated).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from otel_auth0.config import DedupeConfig, QueueConfig
from otel_auth0.convert.mapping import Converted
from otel_auth0.convert.wire import Signal
from otel_auth0.state.checkpoints import SELECT_CHECKPOINT, Checkpoint, queue_path
from otel_auth0.state.files import QUEUE_RECOVERY, QueueSequence, StateError, private_file

log = logging.getLogger(__name__)

# Compact the file once this much of it is free pages (after a large drain).
COMPACT_FREE_BYTES = 16 * 1024 * 1024
# An older, non-shrinkable file is converted at start (VACUUM) only when it is smaller than this.
CONVERT_MAX_BYTES = 256 * 1024 * 1024
# The WAL file is truncated to this size after checkpoints.
WAL_SIZE_LIMIT = 64 * 1024 * 1024

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
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    receiver TEXT NOT NULL,
    log_id TEXT,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    event TEXT NOT NULL,
    parked_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at REAL NOT NULL);
"""


class QueueFull(Exception):
    """The queue is at its limit and the policy is to refuse new input (HTTP 503 / poller pauses)."""


class StorageError(QueueFull):
    """The queue file cannot be written (disk full, I/O error); nothing was changed. Receivers treat it
    like a full queue: the Log Stream answers 503, the poller pauses."""


@dataclass(frozen=True, slots=True)
class ParkedEvent:
    """An event a receiver could not convert, kept in ``dead_letters`` with its reason."""

    receiver: str
    log_id: str | None
    reason: str
    detail: str
    event: str


# What the detection rules must see of one enqueue on a fleet: (index of the batch item it came
# with, or None for the batch as a whole; the observation as JSON), kept only with what was accepted.
InboxEntry = tuple[int | None, str]


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    """How many events were enqueued and how many were skipped as already seen."""

    accepted: int
    duplicates: int
    accepted_indices: tuple[int, ...] = ()
    parked: int = 0


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
        existed = path.exists()
        private_file(path)  # 0600 in a 0700 directory; SQLite gives -wal and -shm the same mode
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # Set before the first table exists; an older file is converted below when it is empty.
        self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        self._db.executescript(_SCHEMA)
        self.dropped = 0
        self.storage_error: str | None = None
        with self._lock, self._transaction():
            # Exporters removed from the configuration no longer hold rows back.
            self._db.execute("UPDATE items SET pending = pending & ?", (self._mask,))
            self._db.execute("DELETE FROM items WHERE pending = 0")
            size, stored = self._db.execute(
                "SELECT COALESCE(SUM(records), 0), COALESCE(SUM(LENGTH(payload)), 0) FROM items"
            ).fetchone()
            self._size, self._bytes = int(size), int(stored)
            self._seen_count = int(self._db.execute("SELECT COUNT(*) FROM seen").fetchone()[0])
        self.sequence = QueueSequence(path, existed)
        self.sequence.check(self._db)
        if self._db.execute("PRAGMA auto_vacuum").fetchone()[0] != 2 and self._size == 0:
            if path.stat().st_size < CONVERT_MAX_BYTES:
                self._db.execute("VACUUM")  # a file from an older version: make it shrinkable
            else:
                log.info("queue: %s will only shrink after `VACUUM` (written by an older version)", path)

    @classmethod
    def in_state_dir(
        cls,
        state_dir: Path | str,
        exporter_mask: int,
        queue: QueueConfig | None = None,
        dedupe: DedupeConfig | None = None,
    ) -> PersistentQueue:
        """The collector's queue under ``state_dir``; :class:`StateError` (naming the file, pointing at
        the recovery procedure) when SQLite cannot read it."""
        path = queue_path(state_dir)
        try:
            return cls(path, exporter_mask, queue, dedupe)
        except sqlite3.DatabaseError as error:
            raise StateError(
                f"queue file {path} cannot be read ({error}); not started and nothing was discarded: "
                f"see {QUEUE_RECOVERY}"
            ) from None
        except OSError as error:  # permissions, a read-only or full file system
            raise StateError(f"queue file {path} cannot be opened: {error}") from None

    def _transaction(self, synchronous: str = "FULL") -> _Transaction:
        return _Transaction(self._db, synchronous)

    @property
    def size(self) -> int:
        """Records waiting for at least one exporter (log records and spans)."""
        return self._size

    @property
    def stored_bytes(self) -> int:
        """Payload bytes waiting for at least one exporter (what ``queue.max_bytes`` caps)."""
        return self._bytes

    def _storage_failed(self, what: str, error: Exception) -> StorageError:
        self.storage_error = f"cannot {what}: {error}"
        return StorageError(f"{self.storage_error}; retrying (nothing was lost)")

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
        parked: Sequence[ParkedEvent] = (),
        inbox: Sequence[InboxEntry] = (),
    ) -> EnqueueResult:
        """Durably store ``batch`` (skipping keys already seen), ``parked`` events and ``checkpoint`` in one
        transaction; raises :class:`QueueFull` or :class:`StorageError` without changing anything. There
        is no detection ``inbox`` here: with SQLite one process runs the rules itself (ValueError)."""
        if inbox:
            raise ValueError("the SQLite state has no detection inbox: this process runs the rules itself")
        now = time.time()
        incoming = sum(_records(item) for item in batch)
        incoming_bytes = sum(len(item.logs) + len(item.spans) for item in batch)
        with self._lock:
            try:
                self._make_room(incoming, incoming_bytes, now)
                accepted, indices, added, added_bytes = self._insert(batch, scope, checkpoint, parked, now)
            except sqlite3.Error as error:
                raise self._storage_failed("store a batch", error) from None
            self.storage_error = None
            self._size += added
            self._bytes += added_bytes
            self._seen_count += sum(1 for item in accepted if item.key is not None)
        return EnqueueResult(len(accepted), len(batch) - len(accepted), tuple(indices), len(parked))

    def _insert(
        self,
        batch: Sequence[Converted],
        scope: str,
        checkpoint: tuple[str, str] | None,
        parked: Sequence[ParkedEvent],
        now: float,
    ) -> tuple[list[Converted], list[int], int, int]:
        accepted: list[Converted] = []
        indices: list[int] = []
        added = added_bytes = 0
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
            last_id = None
            for signal, payload, records in _by_signal(accepted):
                last_id = self._db.execute(
                    "INSERT INTO items (signal, scope, records, payload, pending, enqueued_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (int(signal), scope, records, payload, self._mask, now),
                ).lastrowid
                added += records
                added_bytes += len(payload)
            for event in parked:
                self._db.execute(
                    "INSERT INTO dead_letters (receiver, log_id, reason, detail, event, parked_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (event.receiver, event.log_id, event.reason, event.detail, event.event, now),
                )
            if checkpoint is not None:
                self._set_checkpoint(checkpoint[0], checkpoint[1], now)
        if last_id is not None:
            self.sequence.advance(last_id)
        return accepted, indices, added, added_bytes

    def _over_limit(self, incoming: int, incoming_bytes: int, now: float) -> bool:
        return (
            self._size + incoming > self._config.max_items
            or self._bytes + incoming_bytes > self._config.max_bytes
            or self._too_old(now)
        )

    def _make_room(self, incoming: int, incoming_bytes: int, now: float) -> None:
        if not self._over_limit(incoming, incoming_bytes, now):
            return
        if self._config.full_policy == "refuse":
            raise QueueFull(
                f"queue holds {self._size} records, {self._bytes} bytes (limits {self._config.max_items} "
                f"records, {self._config.max_bytes} bytes, max age {self._config.max_age:.0f}s); "
                "waiting for the exporters to catch up"
            )
        size, stored, dropped = self._size, self._bytes, 0
        with self._transaction():
            while (
                size + incoming > self._config.max_items
                or stored + incoming_bytes > self._config.max_bytes
                or self._too_old(now)
            ):
                row = self._db.execute(
                    "SELECT id, records, LENGTH(payload) FROM items ORDER BY id LIMIT 1"
                ).fetchone()
                if row is None:
                    break
                self._db.execute("DELETE FROM items WHERE id = ?", (row[0],))
                size, stored, dropped = size - row[1], stored - row[2], dropped + row[1]
        # Counted once the deletions are committed.
        self._size, self._bytes = size, stored
        self.dropped += dropped

    def _too_old(self, now: float) -> bool:
        row = self._db.execute("SELECT MIN(enqueued_at) FROM items").fetchone()
        return bool(row and row[0] is not None and now - row[0] > self._config.max_age)

    def peek(self, signal: Signal, exporter_bit: int, max_records: int, after: int = 0) -> list[QueuedBatch]:
        """The oldest rows of ``signal`` after row id ``after`` not yet acknowledged by ``exporter_bit``,
        up to ``max_records``."""
        with self._lock:
            cursor = self._db.execute(
                "SELECT id, scope, records, payload FROM items"
                " WHERE signal = ? AND (pending & ?) != 0 AND id > ? ORDER BY id",
                (int(signal), exporter_bit, after),
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
        """Record that ``exporter_bit`` delivered ``batches``; rows nobody waits for are deleted.
        Raises :class:`StorageError` (nothing changed) when the file cannot be written."""
        ids = [batch.row_id for batch in batches]
        if not ids:
            return
        # An acknowledgement lost to a power cut only means that batch is sent again (the bounded
        # duplicate), so it is not worth an fsync; enqueues keep synchronous=FULL.
        with self._lock:
            try:
                with self._transaction(synchronous="NORMAL"):
                    placeholders = ",".join("?" * len(ids))
                    # Rows only this exporter still waits for are deleted outright: updating them first
                    # would rewrite their payloads just before deleting them.
                    done = self._db.execute(
                        f"DELETE FROM items WHERE pending & ~? = 0 AND id IN ({placeholders})"
                        " RETURNING records, LENGTH(payload)",
                        (exporter_bit, *ids),
                    ).fetchall()
                    self._db.execute(
                        f"UPDATE items SET pending = pending & ~? WHERE id IN ({placeholders})",
                        (exporter_bit, *ids),
                    )
            except sqlite3.Error as error:
                raise self._storage_failed("record an acknowledgement", error) from None
            self.storage_error = None
            self._size -= sum(row[0] for row in done)
            self._bytes -= sum(row[1] for row in done)

    def reject(self, batch: QueuedBatch, signal: Signal, exporter_bit: int, exporter: str) -> None:
        """Park a row one exporter's backend refused for good in the ``rejected`` table (kept for
        inspection, never silently dropped) and release it for that exporter."""
        with self._lock:
            try:
                with self._transaction():
                    self._db.execute(
                        "INSERT INTO rejected (item_id, signal, scope, records, payload, exporter,"
                        " rejected_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            batch.row_id,
                            int(signal),
                            batch.scope,
                            batch.records,
                            batch.payload,
                            exporter,
                            time.time(),
                        ),
                    )
            except sqlite3.Error as error:
                raise self._storage_failed("park a refused row", error) from None
        self.ack([batch], exporter_bit)

    def rejected_count(self) -> int:
        """Rows parked in the ``rejected`` table."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM rejected").fetchone()[0])

    def dead_letters(self) -> list[tuple[str, str | None, str, str]]:
        """Parked events as ``(receiver, log_id, reason, event JSON)``, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT receiver, log_id, reason, event FROM dead_letters ORDER BY id")
            return [(str(r[0]), r[1], str(r[2]), str(r[3])) for r in rows.fetchall()]

    def get_checkpoint(self, name: str) -> Checkpoint | None:
        """A receiver's persisted position, or ``None`` before its first batch."""
        with self._lock:
            row = self._db.execute(SELECT_CHECKPOINT, (name,)).fetchone()
        return Checkpoint(row[0], row[1]) if row else None

    def checkpoints(self, prefix: str) -> list[tuple[str, Checkpoint]]:
        """Every persisted position whose name starts with ``prefix``, by name."""
        with self._lock:
            rows = self._db.execute(
                "SELECT name, value, updated_at FROM checkpoints WHERE substr(name, 1, ?) = ? ORDER BY name",
                (len(prefix), prefix),
            ).fetchall()
        return [(str(name), Checkpoint(str(value), float(updated))) for name, value, updated in rows]

    def set_checkpoint(self, name: str, value: str) -> None:
        """Persist a position outside an enqueue (e.g. the starting point resolved on first start)."""
        with self._lock:
            try:
                with self._transaction():
                    self._set_checkpoint(name, value, time.time())
            except sqlite3.Error as error:
                raise self._storage_failed("store a checkpoint", error) from None

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

    def compact(self) -> int:
        """Give free pages back to the file system once at least ``COMPACT_FREE_BYTES`` are free (after a
        large drain) and truncate the WAL; returns the bytes released from the database file."""
        with self._lock:
            page_size = int(self._db.execute("PRAGMA page_size").fetchone()[0])
            free = int(self._db.execute("PRAGMA freelist_count").fetchone()[0]) * page_size
            if free < COMPACT_FREE_BYTES:
                return 0
            # executescript steps the pragma to completion (execute() frees a single page).
            self._db.executescript("PRAGMA incremental_vacuum;")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        log.info("queue file compacted: %d bytes released after a drain", free)
        return free

    def close(self) -> None:
        """Fold the WAL into the database file and close it."""
        with self._lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as error:
                log.warning(
                    "queue: cannot fold the write-ahead log at close (kept for the next start): %s", error
                )
            self._db.close()
            self.sequence.close()


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` / ``ROLLBACK`` on an autocommit connection; a failed ``COMMIT``
    (disk full) is rolled back, and a transaction SQLite already rolled back is not rolled back twice."""

    def __init__(self, db: sqlite3.Connection, synchronous: str) -> None:
        self._db = db
        self._synchronous = synchronous

    def __enter__(self) -> None:
        self._db.execute(f"PRAGMA synchronous={self._synchronous}")
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error:
                self._rollback()
                raise
        self._rollback()

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")


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
