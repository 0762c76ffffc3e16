"""The PostgreSQL backend's schema, created and migrated by the collector itself on start.

Migrations are numbered and applied in order inside one transaction that holds an advisory lock, so
replicas starting at once apply each exactly once (the others wait for the lock, then find the version
current). Every statement is idempotent (``IF NOT EXISTS``), so a half-applied older schema is safe too.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

# pg_advisory_xact_lock key of schema migrations ("oa0schem" as a 64-bit integer).
MIGRATION_LOCK = 0x6F61_3073_6368_656D

MIGRATIONS: tuple[str, ...] = (
    # 1: the queue, the dedupe index, parked rows, checkpoints (with the epoch that wrote them), leases.
    """
    CREATE TABLE IF NOT EXISTS otel_auth0_items (
        id BIGSERIAL PRIMARY KEY,
        signal SMALLINT NOT NULL,
        scope TEXT NOT NULL,
        records INTEGER NOT NULL,
        payload BYTEA NOT NULL,
        pending INTEGER NOT NULL,
        enqueued_at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX IF NOT EXISTS otel_auth0_items_by_signal ON otel_auth0_items (signal, id);
    CREATE INDEX IF NOT EXISTS otel_auth0_items_by_age ON otel_auth0_items (enqueued_at);
    CREATE TABLE IF NOT EXISTS otel_auth0_claims (
        item_id BIGINT NOT NULL,
        exporter_bit INTEGER NOT NULL,
        holder TEXT NOT NULL,
        claimed_until TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (item_id, exporter_bit)
    );
    CREATE TABLE IF NOT EXISTS otel_auth0_seen (key TEXT PRIMARY KEY, seen_at DOUBLE PRECISION NOT NULL);
    CREATE INDEX IF NOT EXISTS otel_auth0_seen_by_time ON otel_auth0_seen (seen_at);
    CREATE TABLE IF NOT EXISTS otel_auth0_rejected (
        id BIGSERIAL PRIMARY KEY,
        item_id BIGINT NOT NULL,
        signal SMALLINT NOT NULL,
        scope TEXT NOT NULL,
        records INTEGER NOT NULL,
        payload BYTEA NOT NULL,
        exporter TEXT NOT NULL,
        rejected_at DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE IF NOT EXISTS otel_auth0_dead_letters (
        id BIGSERIAL PRIMARY KEY,
        receiver TEXT NOT NULL,
        log_id TEXT,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL,
        event TEXT NOT NULL,
        parked_at DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE IF NOT EXISTS otel_auth0_checkpoints (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        epoch BIGINT
    );
    CREATE TABLE IF NOT EXISTS otel_auth0_leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        epoch BIGINT NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE IF NOT EXISTS otel_auth0_replicas (
        replica TEXT PRIMARY KEY,
        seen_until TIMESTAMPTZ NOT NULL
    );
    """,
    # 2: detections shared by a fleet: window state per (rule, group), written by the holder of the
    # tenant's detections lease (with its epoch), and the inbox of what the receivers of every replica
    # accepted for the rules, filled in the transaction that enqueues the events.
    """
    CREATE TABLE IF NOT EXISTS otel_auth0_detection_groups (
        rule TEXT NOT NULL,
        grp TEXT NOT NULL,
        state TEXT NOT NULL,
        epoch BIGINT,
        PRIMARY KEY (rule, grp)
    );
    CREATE TABLE IF NOT EXISTS otel_auth0_detection_inbox (
        id BIGSERIAL PRIMARY KEY,
        observed TEXT NOT NULL,
        added_at DOUBLE PRECISION NOT NULL
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: psycopg.Connection[tuple[object, ...]], schema: str | None = None) -> int:
    """Bring the tables to :data:`SCHEMA_VERSION` (one transaction, under the advisory lock), in
    ``schema`` when given (created if missing; the connection's search_path names it); returns the
    version found before. A database newer than this program is refused."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        if schema is not None and not _schema_exists(conn, schema):
            # Only when missing: a role may own its schema without CREATE on the database.
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        conn.execute("CREATE TABLE IF NOT EXISTS otel_auth0_schema (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM otel_auth0_schema").fetchone()
        found = int(str(row[0])) if row is not None else 0
        if found > SCHEMA_VERSION:
            raise RuntimeError(
                f"the state database has schema version {found}, newer than this otel-auth0 "
                f"(version {SCHEMA_VERSION}); upgrade otel-auth0"
            )
        for statement in MIGRATIONS[found:]:
            conn.execute(statement.encode())
        if row is None:
            conn.execute("INSERT INTO otel_auth0_schema (version) VALUES (%s)", (SCHEMA_VERSION,))
        elif found != SCHEMA_VERSION:
            conn.execute("UPDATE otel_auth0_schema SET version = %s", (SCHEMA_VERSION,))
    return found


def _schema_exists(conn: psycopg.Connection[tuple[object, ...]], schema: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is not None
