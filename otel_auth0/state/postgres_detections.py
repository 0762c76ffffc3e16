"""A fleet's detections in the state database: window state per rule and group
(``otel_auth0_detection_groups``) and the inbox (``otel_auth0_detection_inbox``) that every replica's
intake fills with what the rules must see, in the transaction that enqueues the events.

Only the holder of the tenant's detections lease reads the inbox and writes window state
(:mod:`otel_auth0.detections.shared`), each step in one fenced transaction: the inbox entries it
consumed, the window rows they changed (with the lease epoch) and the detections' telemetry commit
together or not at all, and never once the lease moved on. A new holder therefore resumes exactly
where the last commit left off: nothing counted twice, nothing lost.
"""

from __future__ import annotations

from collections.abc import Sequence

from otel_auth0.convert.mapping import Converted
from otel_auth0.state.detection_store import Row, valid_rows
from otel_auth0.state.postgres_queue import QUICK, Connection, PostgresQueue
from otel_auth0.state.queue import QueueFull

GROUPS = "otel_auth0_detection_groups"


class PostgresDetections:
    """Window state and inbox of one tenant (the schema of ``queue``); satisfies
    :class:`~otel_auth0.state.detection_store.DetectionStore`. Every write is fenced by the current work's
    lease (:mod:`otel_auth0.state.fencing`)."""

    def __init__(self, queue: PostgresQueue) -> None:
        self._queue = queue
        self.skipped_rows = 0

    def load(self) -> list[Row]:
        """Every valid row; others are skipped, logged and counted in :attr:`skipped_rows`."""
        with self._queue.fenced_transaction("read detection state") as (conn, _):
            found = conn.execute(f"SELECT rule, grp, state FROM {GROUPS}").fetchall()
        rows, bad = valid_rows(found, f"table {GROUPS}")
        self.skipped_rows += bad
        return rows

    def save(self, rows: Sequence[Row], removed: Sequence[tuple[str, str]]) -> None:
        """Write changed rows and delete removed groups in one transaction."""
        self.commit((), rows, removed, (), "")

    def take(self, limit: int) -> list[tuple[int, str]]:
        """The oldest ``limit`` inbox entries ``(id, observation JSON)``, left in place until committed."""
        with self._queue.fenced_transaction("read the detection inbox") as (conn, _):
            found = conn.execute(
                "SELECT id, observed FROM otel_auth0_detection_inbox ORDER BY id LIMIT %s", (limit,)
            ).fetchall()
        return [(int(str(entry_id)), str(text)) for entry_id, text in found]

    def commit(
        self,
        consumed: Sequence[int],
        rows: Sequence[Row],
        removed: Sequence[tuple[str, str]],
        telemetry: Sequence[Converted],
        scope: str,
    ) -> str | None:
        """In one transaction: delete the ``consumed`` inbox entries, write the window changes and queue
        ``telemetry`` under ``scope``. When the queue's limits refuse the telemetry the rest still
        commits and the refusal is returned (as a full queue refuses detections with SQLite)."""
        refused = stored = None
        with self._queue.fenced_transaction("store detection state") as (conn, fence):
            if consumed:
                conn.execute("DELETE FROM otel_auth0_detection_inbox WHERE id = ANY(%s)", (list(consumed),))
            self._write(conn, rows, removed, fence.epoch if fence is not None else None)
            if telemetry:
                try:
                    stored = self._queue.store_items(conn, telemetry, scope)
                except QueueFull as full:  # raised before the items wrote anything
                    refused = str(full)
        if stored is not None:
            self._queue.counted(stored)
        return refused

    @staticmethod
    def _write(
        conn: Connection, rows: Sequence[Row], removed: Sequence[tuple[str, str]], epoch: int | None
    ) -> None:
        if removed:
            conn.execute(
                f"DELETE FROM {GROUPS} WHERE (rule, grp) IN"
                " (SELECT r, g FROM unnest(%s::text[], %s::text[]) AS t(r, g))",
                ([rule for rule, _ in removed], [group for _, group in removed]),
            )
        if rows:
            conn.execute(
                f"INSERT INTO {GROUPS} (rule, grp, state, epoch)"
                " SELECT r, g, s, %s FROM unnest(%s::text[], %s::text[], %s::text[]) AS t(r, g, s)"
                " ON CONFLICT (rule, grp) DO UPDATE SET state = excluded.state, epoch = excluded.epoch",
                (epoch, [row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows]),
            )

    def backlog(self) -> int:
        """Inbox entries waiting for the lease holder (never waits long for a connection)."""
        with self._queue.fenced_transaction("count the detection inbox", QUICK) as (conn, _):
            row = conn.execute("SELECT COUNT(*) FROM otel_auth0_detection_inbox").fetchone()
        return int(str(row[0])) if row is not None else 0

    def close(self) -> None:
        """Nothing to release: the connections are the queue's."""
