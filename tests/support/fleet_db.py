"""What a fleet's PostgreSQL database shows, read by the test on its own connections: the lease rows
sampled on the database's clock (when a lease changed hands, measured there, not on a replica), and
every committed queue row, copied by a trigger, so a log id that entered the queue twice shows."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType

import psycopg
from opentelemetry.proto.logs.v1.logs_pb2 import ScopeLogs
from psycopg import sql

from otel_auth0.convert.wire import Signal
from otel_auth0.state.postgres_schema import migrate


@dataclass
class Grant:
    """One epoch of a lease: its holder, when the database granted it (the expiry first seen minus
    one lease time) and the last expiry seen."""

    lease: str
    epoch: int
    holder: str
    granted_at: datetime
    expires_at: datetime


def _table(schema: str | None, table: str) -> sql.Composable:
    return sql.Identifier(schema, table) if schema else sql.Identifier(table)


class LeaseRows:
    """Samples the lease rows of ``schemas`` (``None``: the DSN's own) every ``interval`` seconds in a
    thread, keeping every :class:`Grant` seen."""

    def __init__(
        self, dsn: str, lease_time: float, schemas: tuple[str | None, ...] = (None,), interval: float = 0.05
    ) -> None:
        self._dsn = dsn
        self._lease_time = lease_time
        self._schemas = schemas
        self._interval = interval
        self._grants: dict[tuple[str, int], Grant] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="lease-rows", daemon=True)

    def __enter__(self) -> LeaseRows:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(30)

    def _sample(self) -> None:
        with psycopg.connect(self._dsn, autocommit=True) as conn:
            while not self._stop.wait(self._interval):
                for schema in self._schemas:
                    query = sql.SQL("SELECT name, holder, epoch, expires_at FROM {}").format(
                        _table(schema, "otel_auth0_leases")
                    )
                    try:
                        rows = conn.execute(query).fetchall()
                    except psycopg.errors.UndefinedTable:
                        continue  # not created yet
                    self._record(rows)

    def _record(self, rows: list[tuple[str, str, int, datetime]]) -> None:
        with self._lock:
            for name, holder, epoch, expires_at in rows:
                grant = self._grants.get((name, epoch))
                if grant is None:
                    granted = expires_at - timedelta(seconds=self._lease_time)
                    self._grants[(name, epoch)] = Grant(name, epoch, holder, granted, expires_at)
                else:
                    grant.expires_at = max(grant.expires_at, expires_at)

    def now(self) -> datetime:
        """The database's clock."""
        with psycopg.connect(self._dsn) as conn:
            row = conn.execute("SELECT clock_timestamp()").fetchone()
        assert row is not None and isinstance(row[0], datetime)
        return row[0]

    def grants(self, lease: str) -> list[Grant]:
        """Every epoch of ``lease`` seen so far, oldest first."""
        with self._lock:
            return sorted((g for g in self._grants.values() if g.lease == lease), key=lambda g: g.epoch)

    def current(self, lease: str) -> Grant | None:
        """The newest epoch of ``lease`` seen so far."""
        grants = self.grants(lease)
        return grants[-1] if grants else None

    def taken_over(self, lease: str, epoch: int, other_than: str) -> Grant | None:
        """The first epoch after ``epoch`` of ``lease`` granted to another replica than ``other_than``."""
        return next((g for g in self.grants(lease) if g.epoch > epoch and g.holder != other_than), None)


AUDIT_TABLE = "CREATE TABLE {} (item_id BIGINT NOT NULL, signal SMALLINT NOT NULL, payload BYTEA NOT NULL)"
AUDIT_TRIGGER = "CREATE TRIGGER test_audit AFTER INSERT ON {} FOR EACH ROW EXECUTE FUNCTION {}()"
AUDIT_FUNCTION = """
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {audit} (item_id, signal, payload) VALUES (NEW.id, NEW.signal, NEW.payload);
  RETURN NEW;
END $$
"""


def audit_enqueues(dsn: str, schemas: tuple[str | None, ...] = (None,)) -> None:
    """Create the collector's tables in each schema now (replicas starting later find them current)
    and a trigger that copies every queue row, in the transaction that stores it, to
    ``test_enqueued``: a row there is a committed enqueue, never one rolled back (fenced, failed)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for schema in schemas:
            if schema is not None:  # as the collector's connections of a tenant's pool see it
                conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            migrate(conn, schema)
            audit, function = _table(schema, "test_enqueued"), _table(schema, "test_audit_enqueue")
            conn.execute(sql.SQL(AUDIT_TABLE).format(audit))
            conn.execute(sql.SQL(AUDIT_FUNCTION).format(function=function, audit=audit))
            conn.execute(sql.SQL(AUDIT_TRIGGER).format(_table(schema, "otel_auth0_items"), function))


def enqueued_log_ids(dsn: str, schema: str | None = None) -> Counter[str]:
    """How often each ``auth0.log.id`` entered the queue (rows copied by :func:`audit_enqueues`); a
    logs row is the concatenation of framed ``ScopeLogs.log_records`` entries."""
    query = sql.SQL("SELECT payload FROM {} WHERE signal = %s").format(_table(schema, "test_enqueued"))
    with psycopg.connect(dsn) as conn:
        payloads = [bytes(row[0]) for row in conn.execute(query, (int(Signal.LOGS),)).fetchall()]
    counts: Counter[str] = Counter()
    for payload in payloads:
        for record in ScopeLogs.FromString(payload).log_records:
            for pair in record.attributes:
                if pair.key == "auth0.log.id":
                    counts[pair.value.string_value] += 1
    return counts
