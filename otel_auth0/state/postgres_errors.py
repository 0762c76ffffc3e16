"""What a failure of the state database says, in logs, ``/readyz`` and the status page: the cause (the
last connection attempt's error when the pool had no connection to give), never any part of the DSN's
password (libpq quotes pieces of a malformed connection string in its errors)."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from otel_auth0.url_display import without_dsn_password


class MaskedConnection(psycopg.Connection[Any]):
    """A connection whose failure to connect is raised with the password masked, and remembered (per
    pool: :func:`connection_class` makes a class for each)."""

    dsn: ClassVar[str] = ""
    last_error: ClassVar[str | None] = None

    @classmethod
    def connect(cls, conninfo: str = "", **kwargs: Any) -> Self:
        """Connect; a failure is re-raised as OperationalError without the password."""
        try:
            conn = super().connect(conninfo, **kwargs)
        except psycopg.Error as error:
            cls.last_error = " ".join(without_dsn_password(str(error), cls.dsn).split())  # one line
            raise psycopg.OperationalError(cls.last_error) from None
        cls.last_error = None
        return conn


def connection_class(dsn: str) -> type[MaskedConnection]:
    """The connection class of one pool for ``dsn``."""
    return type("StateConnection", (MaskedConnection,), {"dsn": dsn, "last_error": None})


def describe(what: str, error: psycopg.Error, pool: ConnectionPool[Any]) -> str:
    """``cannot <what>: PostgreSQL: <error>``; when no connection came within the timeout, with the
    last connection attempt's error; the DSN's password masked."""
    message = " ".join(f"cannot {what}: PostgreSQL: {error}".split())
    made = pool.connection_class
    if isinstance(error, PoolTimeout) and issubclass(made, MaskedConnection) and made.last_error:
        message += f" (last connection attempt: {made.last_error})"
    return without_dsn_password(message, pool.conninfo if isinstance(pool.conninfo, str) else None)
