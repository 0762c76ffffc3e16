"""Leases in PostgreSQL, timed by the database's clock (``clock_timestamp()``), never a replica's.

A lease row holds its holder, an epoch that grows at every change of hands, and its expiry. Acquiring
succeeds only when the lease is free or expired (or already this replica's); renewing only while it is
still this replica's at the same epoch and unexpired. Every write made under a lease checks the same row
in its own transaction (:mod:`otel_auth0.state.fencing`), so a replica paused past its expiry can never
commit. Replicas announce themselves in ``otel_auth0_replicas`` so leases spread over the live ones.
"""

from __future__ import annotations

import psycopg
from psycopg_pool import ConnectionPool

from otel_auth0.state.lease_runner import LeaseHolding
from otel_auth0.state.postgres_errors import describe
from otel_auth0.state.queue import StorageError

Connection = psycopg.Connection[tuple[object, ...]]


class PostgresLeases:
    """The lease book of one replica (``holder``) in the state database."""

    def __init__(self, pool: ConnectionPool[Connection], holder: str, lease_time: float) -> None:
        self._pool = pool
        self.holder = holder
        self.lease_time = lease_time

    def _execute(
        self, what: str, query: str, params: tuple[object, ...], timeout: float | None = None
    ) -> list[tuple[object, ...]]:
        try:
            with self._pool.connection(timeout) as conn:
                cursor = conn.execute(query.encode(), params)
                return cursor.fetchall() if cursor.description is not None else []
        except psycopg.Error as error:
            raise StorageError(describe(what, error, self._pool)) from None

    def heartbeat(self) -> int:
        """Announce this replica for two thirds of a lease time (its heartbeat comes every sixth, so a
        live replica does not lapse, while a dead one stops counting no later than its leases expire);
        how many replicas are live (this one included)."""
        self._execute(
            "announce this replica",
            "INSERT INTO otel_auth0_replicas (replica, seen_until)"
            " VALUES (%s, clock_timestamp() + make_interval(secs => %s))"
            " ON CONFLICT (replica) DO UPDATE SET seen_until = excluded.seen_until",
            (self.holder, self.lease_time * 2 / 3),
        )
        rows = self._execute(
            "count live replicas",
            "SELECT COUNT(*) FROM otel_auth0_replicas WHERE seen_until > clock_timestamp()",
            (),
        )
        return max(1, int(str(rows[0][0])))

    def leave(self) -> None:
        """This replica stops (SIGTERM): it no longer counts as live."""
        self._execute("leave", "DELETE FROM otel_auth0_replicas WHERE replica = %s", (self.holder,))

    def acquire(self, name: str) -> int | None:
        """Take ``name`` when it is free or expired: the new epoch, or ``None`` when another holds it."""
        rows = self._execute(
            f"acquire lease {name}",
            "INSERT INTO otel_auth0_leases AS l (name, holder, epoch, expires_at)"
            " VALUES (%s, %s, 1, clock_timestamp() + make_interval(secs => %s))"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, epoch = l.epoch + 1,"
            " expires_at = excluded.expires_at"
            " WHERE l.expires_at <= clock_timestamp() OR l.holder = excluded.holder"
            " RETURNING epoch",
            (name, self.holder, self.lease_time),
        )
        return int(str(rows[0][0])) if rows else None

    def seconds_left(self, name: str) -> float:
        """Seconds until ``name`` expires on the database's clock (0 when free or expired)."""
        rows = self._execute(
            f"read lease {name}",
            "SELECT GREATEST(0, EXTRACT(EPOCH FROM expires_at - clock_timestamp()))"
            " FROM otel_auth0_leases WHERE name = %s",
            (name,),
        )
        return float(str(rows[0][0])) if rows else 0.0

    def renew(self, name: str, epoch: int) -> bool:
        """Extend ``name`` by one lease time; False when it is no longer this replica's at ``epoch``."""
        rows = self._execute(
            f"renew lease {name}",
            "UPDATE otel_auth0_leases SET expires_at = clock_timestamp() + make_interval(secs => %s)"
            " WHERE name = %s AND holder = %s AND epoch = %s AND expires_at > clock_timestamp()"
            " RETURNING epoch",
            (self.lease_time, name, self.holder, epoch),
        )
        return bool(rows)

    def release(self, name: str, epoch: int) -> None:
        """Give ``name`` up at once (another replica may take it immediately)."""
        self._execute(
            f"release lease {name}",
            "UPDATE otel_auth0_leases SET expires_at = clock_timestamp()"
            " WHERE name = %s AND holder = %s AND epoch = %s",
            (name, self.holder, epoch),
        )

    def holdings(self) -> list[LeaseHolding]:
        """Every lease: its holder, epoch and seconds left (negative once expired)."""
        rows = self._execute(
            "read leases",
            "SELECT name, holder, epoch, EXTRACT(EPOCH FROM expires_at - clock_timestamp())"
            " FROM otel_auth0_leases ORDER BY name",
            (),
            timeout=0.5,  # for /readyz: a database that is down must not make it hang
        )
        return [LeaseHolding(str(r[0]), str(r[1]), int(str(r[2])), float(str(r[3]))) for r in rows]
