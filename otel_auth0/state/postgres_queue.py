"""The state backend in PostgreSQL: the same queue, dedupe index and checkpoints as the SQLite queue
(:mod:`otel_auth0.state.queue`), shared by every replica of a fleet.

- One transaction per enqueue: the batch, its dedupe keys (``INSERT … ON CONFLICT DO NOTHING`` on a
  primary key, so a batch posted to two replicas at once is queued once), parked events and the
  checkpoint. Work running under a lease (:mod:`otel_auth0.state.fencing`) is fenced: the same
  transaction locks the lease row and is refused (:class:`~otel_auth0.state.fencing.Fenced`) unless
  this replica still holds it at the epoch it was granted, by the database's clock.
- Export claims: ``peek`` claims the rows it returns for ``state.claim_timeout`` (``FOR UPDATE SKIP
  LOCKED``), so replicas export disjoint rows and a dead replica's in-flight rows are sent again by
  another once its claim expires (the bounded duplicate).
- A pool (psycopg_pool) with connect and statement timeouts; a broken connection is replaced. Any
  failure to reach the database raises :class:`~otel_auth0.state.queue.StorageError` (nothing
  changed) and is kept in ``storage_error`` until the next success, which is what makes the Log Stream
  answer 503 and ``/readyz`` fail.
- Limits (``queue.max_items``, ``max_bytes``, ``max_age``) are checked against totals refreshed at
  most every ``TOTALS_MAX_AGE`` seconds: with several replicas a limit can be overshot by what they
  enqueue in that time.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from otel_auth0.config import Config, DedupeConfig, QueueConfig
from otel_auth0.config.state import StateConfig
from otel_auth0.convert.mapping import Converted
from otel_auth0.convert.wire import Signal
from otel_auth0.state.checkpoints import Checkpoint
from otel_auth0.state.fencing import CURRENT_FENCE, Fence, Fenced
from otel_auth0.state.postgres_errors import connection_class, describe
from otel_auth0.state.postgres_schema import migrate
from otel_auth0.state.queue import (
    EnqueueResult,
    InboxEntry,
    ParkedEvent,
    QueuedBatch,
    QueueFull,
    StorageError,
    _by_signal,
    _records,
)

log = logging.getLogger(__name__)

TOTALS_MAX_AGE = 1.0
# How long health checks wait for a connection before answering from what they know.
QUICK = 0.5
Connection = psycopg.Connection[Any]


def replica_name(configured: str | None) -> str:
    """This process's name in leases and claims: ``state.replica_id``, else host, pid and a random part
    (never reused, so a restarted replica never mistakes an old claim for its own)."""
    return configured or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def open_pool(state: StateConfig, name: str) -> ConnectionPool[Connection]:
    """A connection pool for ``state.dsn`` (opened without waiting: a database that is down at start is
    retried, never fatal); each connection autocommits, carries the statement timeout and, with
    ``state.schema``, sees only that schema's tables. A connection whose network goes silent (a
    partition: packets dropped, nothing refused) fails after about ``state.connect_timeout`` (TCP user
    timeout and keepalives) instead of blocking its caller for the kernel's quarter of an hour; on the
    server, a transaction its replica left open that long is ended (``idle_in_transaction_session_timeout``),
    so the lease row it locked (fencing) never keeps the others from taking the lease over."""
    timeout_ms = int(state.statement_timeout * 1000)
    silent = max(1, int(state.connect_timeout))

    def configure(conn: Connection) -> None:
        conn.autocommit = True
        conn.execute(f"SET statement_timeout = {timeout_ms}")
        conn.execute(f"SET lock_timeout = {timeout_ms}")
        conn.execute(f"SET idle_in_transaction_session_timeout = {silent * 1000}")
        if state.schema_name is not None:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(state.schema_name)))

    pool: ConnectionPool[Connection] = ConnectionPool(
        state.dsn or "",
        connection_class=connection_class(state.dsn or ""),
        min_size=1,
        max_size=state.pool_size,
        timeout=state.connect_timeout,
        kwargs={
            "connect_timeout": silent,
            "application_name": "otel-auth0",
            "tcp_user_timeout": silent * 1000,
            "keepalives": 1,
            "keepalives_idle": silent,
            "keepalives_interval": 1,
            "keepalives_count": 3,
        },
        configure=configure,
        check=ConnectionPool.check_connection,
        reconnect_timeout=0,  # keep trying to reconnect for as long as the process runs
        name=f"otel-auth0-{name}",
        open=False,
    )
    pool.open(wait=False)
    return pool


class PostgresQueue:
    """Thread-safe (one pool); satisfies :class:`~otel_auth0.state.backend.StateBackend`."""

    def __init__(
        self,
        pool: ConnectionPool[Connection],
        exporter_mask: int,
        queue: QueueConfig | None = None,
        dedupe: DedupeConfig | None = None,
        holder: str | None = None,
        claim_timeout: float = 60.0,
        schema: str | None = None,
    ) -> None:
        if exporter_mask <= 0:
            raise ValueError("at least one exporter bit is required")
        self._pool = pool
        self._mask = exporter_mask
        self._config = queue or QueueConfig()
        self._dedupe = dedupe or DedupeConfig()
        self.holder = replica_name(holder)
        self._claim_timeout = claim_timeout
        self.schema = schema
        self._lock = threading.Lock()
        self._fenced_lock = threading.Lock()  # never held across a database call (the event loop takes it)
        self.dropped = 0
        self.storage_error: str | None = None
        self.fenced: dict[str, int] = {}  # refused commits by lease, drained by the runtime
        self._ready = False
        self._size = self._bytes = 0
        self._oldest: float | None = None
        self._totals_at = 0.0
        try:
            self._prepare()
        except StorageError as error:
            log.warning("state: PostgreSQL not ready at start, retrying: %s", error)

    @classmethod
    def from_config(cls, config: Config, exporter_mask: int) -> PostgresQueue:
        """The queue at ``config.state.dsn`` with a new pool."""
        holder = replica_name(config.state.replica_id)
        return cls(
            open_pool(config.state, holder),
            exporter_mask,
            config.queue,
            config.processors.dedupe,
            holder,
            config.state.claim_timeout,
            config.state.schema_name,
        )

    @property
    def pool(self) -> ConnectionPool[Connection]:
        """The connection pool (shared with the leases)."""
        return self._pool

    @contextmanager
    def _connection(self, what: str, timeout: float | None = None) -> Iterator[Connection]:
        """A pooled connection with the schema in place (waiting at most ``timeout``, else the connect
        timeout); database failures become StorageError."""
        try:
            with self._pool.connection(timeout) as conn:
                if not self._ready:
                    migrate(conn, self.schema)
                    conn.execute("UPDATE otel_auth0_items SET pending = pending & %s", (self._mask,))
                    conn.execute("DELETE FROM otel_auth0_items WHERE pending = 0")
                    self._ready = True
                yield conn
        except psycopg.Error as error:
            self.storage_error = describe(what, error, self._pool)
            raise StorageError(f"{self.storage_error}; retrying (nothing was lost)") from None
        self.storage_error = None

    def _prepare(self) -> None:
        with self._connection("prepare the schema"):
            pass

    def _refresh_totals(self, conn: Connection, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._totals_at < TOTALS_MAX_AGE:
            return
        row = conn.execute(
            "SELECT COALESCE(SUM(records), 0), COALESCE(SUM(octet_length(payload)), 0), MIN(enqueued_at)"
            " FROM otel_auth0_items"
        ).fetchone()
        assert row is not None
        self._size, self._bytes, self._oldest = int(row[0]), int(row[1]), row[2]
        self._totals_at = now

    def _totals(self) -> None:
        """Refresh the totals when they are older than ``TOTALS_MAX_AGE``, never waiting long: health
        checks read them, and a database that is down must not make ``/readyz`` hang."""
        if time.monotonic() - self._totals_at < TOTALS_MAX_AGE or not self._lock.acquire(timeout=QUICK):
            return
        try:
            with self._connection("read the queue totals", QUICK) as conn:
                self._refresh_totals(conn)
        except StorageError:
            pass  # kept in storage_error; the last totals stay
        finally:
            self._lock.release()

    @property
    def size(self) -> int:
        """Records waiting for at least one exporter, over every replica (refreshed every second)."""
        self._totals()
        return self._size

    @property
    def stored_bytes(self) -> int:
        """Payload bytes waiting for at least one exporter."""
        self._totals()
        return self._bytes

    def oldest_age(self) -> float:
        """Seconds since the oldest waiting row was enqueued (0 when empty)."""
        self._totals()
        return max(0.0, time.time() - self._oldest) if self._oldest is not None else 0.0

    def _check_fence(self, conn: Connection, fence: Fence | None) -> None:
        """Lock the lease row of the current work for this transaction; refuse when it moved on."""
        if fence is None:
            return
        row = conn.execute(
            "SELECT 1 FROM otel_auth0_leases WHERE name = %s AND holder = %s AND epoch = %s"
            " AND expires_at > clock_timestamp() FOR SHARE",
            (fence.lease, fence.holder, fence.epoch),
        ).fetchone()
        if row is None:
            with self._fenced_lock:
                self.fenced[fence.lease] = self.fenced.get(fence.lease, 0) + 1
            raise Fenced(fence)

    @contextmanager
    def fenced_transaction(
        self, what: str, timeout: float | None = None
    ) -> Iterator[tuple[Connection, Fence | None]]:
        """One transaction (and the fence of the current work, checked in it: :class:`Fenced` when its
        lease moved on); failures to reach the database (a connection within ``timeout``, else the
        connect timeout) raise StorageError, nothing changed."""
        fence = CURRENT_FENCE.get()
        with self._lock, self._connection(what, timeout) as conn, conn.transaction():
            self._check_fence(conn, fence)
            yield conn, fence

    def enqueue(
        self,
        batch: Sequence[Converted],
        scope: str,
        checkpoint: tuple[str, str] | None = None,
        parked: Sequence[ParkedEvent] = (),
        inbox: Sequence[InboxEntry] = (),
    ) -> EnqueueResult:
        """Store ``batch`` (skipping keys any replica already stored), ``parked``, ``checkpoint`` and the
        ``inbox`` entries of what was accepted (for the holder of the detections lease) in one
        transaction; raises QueueFull, Fenced or StorageError without changing anything."""
        now = time.time()
        with self.fenced_transaction("store a batch") as (conn, fence):
            keys = sorted({item.key for item in batch if item.key is not None})  # one lock order
            fresh: set[str] = set()
            dropped = self._make_room(conn, batch, now)
            if keys:
                rows = conn.execute(
                    "INSERT INTO otel_auth0_seen (key, seen_at) SELECT k, %s FROM unnest(%s::text[]) AS k"
                    " ON CONFLICT DO NOTHING RETURNING key",
                    (now, keys),
                ).fetchall()
                fresh = {str(row[0]) for row in rows}
            accepted: list[Converted] = []
            indices: list[int] = []
            for index, item in enumerate(batch):
                if item.key is not None:
                    if item.key not in fresh:
                        continue
                    fresh.discard(item.key)  # a key twice in one batch is kept once
                accepted.append(item)
                indices.append(index)
            added = self._insert_items(conn, accepted, scope, now)
            if parked:
                with conn.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO otel_auth0_dead_letters (receiver, log_id, reason, detail, event,"
                        " parked_at) VALUES (%s, %s, %s, %s, %s, %s)",
                        [(e.receiver, e.log_id, e.reason, e.detail, e.event, now) for e in parked],
                    )
            kept = set(indices)
            observed = [text for index, text in inbox if accepted and (index is None or index in kept)]
            if observed:
                conn.execute(
                    "INSERT INTO otel_auth0_detection_inbox (observed, added_at)"
                    " SELECT o, %s FROM unnest(%s::text[]) WITH ORDINALITY AS t(o, n) ORDER BY n",
                    (now, observed),
                )
            if checkpoint is not None:
                self._set_checkpoint(conn, checkpoint[0], checkpoint[1], now, fence)
        self._count(dropped, added)
        return EnqueueResult(len(accepted), len(batch) - len(accepted), tuple(indices), len(parked))

    def store_items(self, conn: Connection, items: Sequence[Converted], scope: str) -> tuple[int, int, int]:
        """Queue ``items`` (no dedupe) in the caller's :meth:`fenced_transaction`, within the limits
        (QueueFull before anything is written when they refuse); hand the result to :meth:`counted`
        once the transaction committed."""
        now = time.time()
        dropped = self._make_room(conn, items, now)
        return (dropped, *self._insert_items(conn, items, scope, now))

    def counted(self, stored: tuple[int, int, int]) -> None:
        """Account for what :meth:`store_items` stored in a committed transaction."""
        self._count(stored[0], stored[1:])

    def _count(self, dropped: int, added: tuple[int, int]) -> None:
        self.dropped += dropped
        self._size += added[0]
        self._bytes += added[1]

    def _insert_items(
        self, conn: Connection, items: Sequence[Converted], scope: str, now: float
    ) -> tuple[int, int]:
        """One row per signal of ``items``; the records and payload bytes added."""
        added = added_bytes = 0
        for signal, payload, records in _by_signal(items):
            conn.execute(
                "INSERT INTO otel_auth0_items (signal, scope, records, payload, pending, enqueued_at)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (int(signal), scope, records, payload, self._mask, now),
            )
            added += records
            added_bytes += len(payload)
        return added, added_bytes

    def _make_room(self, conn: Connection, batch: Sequence[Converted], now: float) -> int:
        """Check the limits for ``batch`` (refuse, or drop the oldest rows in this transaction); records
        dropped."""
        incoming = sum(_records(item) for item in batch)
        incoming_bytes = sum(len(item.logs) + len(item.spans) for item in batch)
        self._refresh_totals(conn)
        limits = self._config

        def over(size: int, stored: int, oldest: float | None) -> bool:
            return (
                size + incoming > limits.max_items
                or stored + incoming_bytes > limits.max_bytes
                or (oldest is not None and now - oldest > limits.max_age)
            )

        if not over(self._size, self._bytes, self._oldest):
            return 0
        if limits.full_policy == "refuse":
            raise QueueFull(
                f"queue holds {self._size} records, {self._bytes} bytes (limits {limits.max_items} "
                f"records, {limits.max_bytes} bytes, max age {limits.max_age:.0f}s); "
                "waiting for the exporters to catch up"
            )
        size, stored, oldest, dropped = self._size, self._bytes, self._oldest, 0
        while over(size, stored, oldest):
            row = conn.execute(
                "DELETE FROM otel_auth0_items WHERE id = (SELECT id FROM otel_auth0_items ORDER BY id"
                " LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING records, octet_length(payload)"
            ).fetchone()
            if row is None:
                break
            size, stored, dropped = size - int(row[0]), stored - int(row[1]), dropped + int(row[0])
            first = conn.execute("SELECT MIN(enqueued_at) FROM otel_auth0_items").fetchone()
            oldest = first[0] if first is not None else None
        self._size, self._bytes, self._oldest = size, stored, oldest
        return dropped

    def peek(self, signal: Signal, exporter_bit: int, max_records: int, after: int = 0) -> list[QueuedBatch]:
        """The oldest rows of ``signal`` that ``exporter_bit`` still waits for and no other live replica
        has claimed, up to ``max_records``, claimed for ``state.claim_timeout``. Rows up to ``after``
        that this replica claimed (delivered, acknowledgement not yet written) are skipped."""
        with self._lock, self._connection("read the queue") as conn, conn.transaction():
            candidates = conn.execute(
                "SELECT i.id, i.records FROM otel_auth0_items i"
                " WHERE i.signal = %(signal)s AND (i.pending & %(bit)s) != 0 AND NOT EXISTS ("
                "  SELECT 1 FROM otel_auth0_claims c WHERE c.item_id = i.id AND c.exporter_bit = %(bit)s"
                "  AND ((c.holder <> %(me)s AND c.claimed_until > clock_timestamp())"
                "       OR (c.holder = %(me)s AND i.id <= %(after)s)))"
                " ORDER BY i.id LIMIT %(limit)s FOR UPDATE OF i SKIP LOCKED",
                {
                    "signal": int(signal),
                    "bit": exporter_bit,
                    "me": self.holder,
                    "after": after,
                    "limit": max(1, max_records),
                },
            ).fetchall()
            chosen: list[int] = []
            total = 0
            for row_id, records in candidates:
                if chosen and total + int(records) > max_records:
                    break
                chosen.append(int(row_id))
                total += int(records)
            if not chosen:
                return []
            conn.execute(
                "INSERT INTO otel_auth0_claims (item_id, exporter_bit, holder, claimed_until)"
                " SELECT id, %s, %s, clock_timestamp() + make_interval(secs => %s)"
                " FROM unnest(%s::bigint[]) AS id"
                " ON CONFLICT (item_id, exporter_bit) DO UPDATE"
                " SET holder = excluded.holder, claimed_until = excluded.claimed_until",
                (exporter_bit, self.holder, self._claim_timeout, chosen),
            )
            rows = conn.execute(
                "SELECT id, scope, records, payload FROM otel_auth0_items WHERE id = ANY(%s) ORDER BY id",
                (chosen,),
            ).fetchall()
        return [QueuedBatch(int(r[0]), str(r[1]), int(r[2]), bytes(r[3])) for r in rows]

    def ack(self, batches: Iterable[QueuedBatch], exporter_bit: int) -> None:
        """Record that ``exporter_bit`` delivered ``batches``; rows nobody waits for are deleted."""
        ids = [batch.row_id for batch in batches]
        if not ids:
            return
        with self._lock, self._connection("record an acknowledgement") as conn, conn.transaction():
            done = conn.execute(
                "DELETE FROM otel_auth0_items WHERE id = ANY(%s) AND pending & ~%s = 0"
                " RETURNING records, octet_length(payload)",
                (ids, exporter_bit),
            ).fetchall()
            conn.execute(
                "UPDATE otel_auth0_items SET pending = pending & ~%s WHERE id = ANY(%s)", (exporter_bit, ids)
            )
            conn.execute(
                "DELETE FROM otel_auth0_claims WHERE item_id = ANY(%s) AND exporter_bit = %s",
                (ids, exporter_bit),
            )
        self._size -= sum(int(row[0]) for row in done)
        self._bytes -= sum(int(row[1]) for row in done)

    def reject(self, batch: QueuedBatch, signal: Signal, exporter_bit: int, exporter: str) -> None:
        """Park a row one exporter's backend refused for good and release it for that exporter."""
        with self._lock, self._connection("park a refused row") as conn:
            conn.execute(
                "INSERT INTO otel_auth0_rejected (item_id, signal, scope, records, payload, exporter,"
                " rejected_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (batch.row_id, int(signal), batch.scope, batch.records, batch.payload, exporter, time.time()),
            )
        self.ack([batch], exporter_bit)

    def rejected_count(self) -> int:
        """Rows parked as refused."""
        with self._connection("read refused rows") as conn:
            row = conn.execute("SELECT COUNT(*) FROM otel_auth0_rejected").fetchone()
        return int(row[0]) if row else 0

    def dead_letters(self) -> list[tuple[str, str | None, str, str]]:
        """Parked events as ``(receiver, log_id, reason, event JSON)``, oldest first."""
        with self._connection("read parked events") as conn:
            rows = conn.execute(
                "SELECT receiver, log_id, reason, event FROM otel_auth0_dead_letters ORDER BY id"
            ).fetchall()
        return [(str(r[0]), r[1], str(r[2]), str(r[3])) for r in rows]

    def get_checkpoint(self, name: str) -> Checkpoint | None:
        """A stored position, or ``None``."""
        with self._connection("read a checkpoint") as conn:
            row = conn.execute(
                "SELECT value, updated_at FROM otel_auth0_checkpoints WHERE name = %s", (name,)
            ).fetchone()
        return Checkpoint(str(row[0]), float(row[1])) if row else None

    def checkpoints(self, prefix: str) -> list[tuple[str, Checkpoint]]:
        """Every stored position whose name starts with ``prefix``, by name."""
        with self._connection("read checkpoints") as conn:
            rows = conn.execute(
                "SELECT name, value, updated_at FROM otel_auth0_checkpoints"
                " WHERE left(name, %s) = %s ORDER BY name",
                (len(prefix), prefix),
            ).fetchall()
        return [(str(name), Checkpoint(str(value), float(updated))) for name, value, updated in rows]

    def set_checkpoint(self, name: str, value: str) -> None:
        """Store a position outside an enqueue (fenced like an enqueue)."""
        with self.fenced_transaction("store a checkpoint") as (conn, fence):
            self._set_checkpoint(conn, name, value, time.time(), fence)

    def _set_checkpoint(
        self, conn: Connection, name: str, value: str, now: float, fence: Fence | None
    ) -> None:
        conn.execute(
            "INSERT INTO otel_auth0_checkpoints (name, value, updated_at, epoch) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,"
            " epoch = excluded.epoch",
            (name, value, now, fence.epoch if fence is not None else None),
        )

    def has_seen(self, key: str) -> bool:
        """Whether any replica enqueued ``key`` (within the dedupe window)."""
        with self._connection("read the dedupe index") as conn:
            return conn.execute("SELECT 1 FROM otel_auth0_seen WHERE key = %s", (key,)).fetchone() is not None

    def prune_seen(self) -> int:
        """Forget keys older than the dedupe window or beyond its size; how many were forgotten."""
        cutoff = time.time() - self._dedupe.window
        with self._connection("prune the dedupe index") as conn, conn.transaction():
            removed = conn.execute("DELETE FROM otel_auth0_seen WHERE seen_at < %s", (cutoff,)).rowcount
            count = conn.execute("SELECT COUNT(*) FROM otel_auth0_seen").fetchone()
            excess = (int(count[0]) if count else 0) - self._dedupe.max_ids
            if excess > 0:
                removed += conn.execute(
                    "DELETE FROM otel_auth0_seen WHERE key IN"
                    " (SELECT key FROM otel_auth0_seen ORDER BY seen_at LIMIT %s)",
                    (excess,),
                ).rowcount
        return max(0, removed)

    def compact(self) -> int:
        """Nothing to do: PostgreSQL's autovacuum gives space back."""
        return 0

    def drain_fenced(self) -> dict[str, int]:
        """Refused commits by lease since the last call (never waits for the database)."""
        with self._fenced_lock:
            fenced, self.fenced = self.fenced, {}
        return fenced

    def close(self) -> None:
        """Give this replica's export claims back (others need not wait for them) and close the pool."""
        try:
            with self._connection("release claims") as conn:
                conn.execute("DELETE FROM otel_auth0_claims WHERE holder = %s", (self.holder,))
        except StorageError as error:
            log.warning("state: export claims not released (they expire by themselves): %s", error)
        self._pool.close()
