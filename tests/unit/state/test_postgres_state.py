"""What only the PostgreSQL backend does, against a real server: migrations safe with replicas starting at
once, shared dedupe under concurrency, export claims, leases timed by the database, fenced writes,
failures reported (never raised at start) and reconnection after a server restart."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from otel_auth0.config import Config
from otel_auth0.convert.mapping import Converted
from otel_auth0.convert.wire import Signal
from otel_auth0.local_ports import free_port
from otel_auth0.state.fencing import CURRENT_FENCE, Fence, Fenced
from otel_auth0.state.postgres_leases import PostgresLeases
from otel_auth0.state.postgres_queue import PostgresQueue
from otel_auth0.state.postgres_schema import SCHEMA_VERSION, migrate
from otel_auth0.state.queue import StorageError
from tests.support.postgres_server import PostgresServer, running_server, server_binaries

OTLP = 1


def item(key: str) -> Converted:
    return Converted(key=key, logs=b"L" + key.encode(), spans=b"", span_count=0)


def config(dsn: str, **state: object) -> Config:
    return Config.model_validate(
        {"state": {"backend": "postgres", "dsn": dsn, "connect_timeout": "2s", **state}}
    )


def replica(dsn: str, name: str, **state: object) -> PostgresQueue:
    return PostgresQueue.from_config(config(dsn, replica_id=name, **state), OTLP)


@pytest.fixture
def two_replicas(postgres_dsn: str) -> Iterator[tuple[PostgresQueue, PostgresQueue]]:
    first, second = (
        replica(postgres_dsn, "r1", claim_timeout="1s"),
        replica(postgres_dsn, "r2", claim_timeout="1s"),
    )
    yield first, second
    first.close()
    second.close()


def test_replicas_starting_at_once_migrate_the_schema_exactly_once(postgres_dsn: str) -> None:
    found: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def start() -> None:
        try:
            with psycopg.connect(postgres_dsn, autocommit=True) as conn:
                barrier.wait()
                found.append(migrate(conn))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(found) == [0] + [SCHEMA_VERSION] * 5  # one applied it, the others found it current
    with psycopg.connect(postgres_dsn) as conn:
        assert migrate(conn) == SCHEMA_VERSION  # idempotent
        rows = conn.execute("SELECT version FROM otel_auth0_schema").fetchall()
    assert rows == [(SCHEMA_VERSION,)]


def test_a_newer_schema_is_refused(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        migrate(conn)
        conn.execute("UPDATE otel_auth0_schema SET version = %s", (SCHEMA_VERSION + 1,))
        with pytest.raises(RuntimeError, match="newer than this otel-auth0"):
            migrate(conn)


def test_the_same_batch_posted_to_two_replicas_at_once_is_queued_once(
    two_replicas: tuple[PostgresQueue, PostgresQueue],
) -> None:
    first = two_replicas[0]
    rounds = 1000
    accepted = [0, 0]
    barrier = threading.Barrier(2)

    def post(index: int, queue: PostgresQueue) -> None:
        for round_ in range(rounds):
            batch = [item(f"{round_}-{n}") for n in range(3)]
            barrier.wait()
            accepted[index] += queue.enqueue(batch, "scope").accepted

    threads = [threading.Thread(target=post, args=(i, q)) for i, q in enumerate(two_replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"1000 batches of 3 posted to 2 replicas at once: accepted {accepted} (sum {sum(accepted)})")
    assert sum(accepted) == rounds * 3
    delivered: list[bytes] = []
    while batches := first.peek(Signal.LOGS, OTLP, 10_000):
        delivered += [b.payload for b in batches]
        first.ack(batches, OTLP)
    records = b"".join(delivered).split(b"L")[1:]
    assert len(records) == rounds * 3 and len(set(records)) == rounds * 3


def test_replicas_export_disjoint_rows_and_take_over_expired_claims(
    two_replicas: tuple[PostgresQueue, PostgresQueue],
) -> None:
    first, second = two_replicas
    for n in range(4):
        first.enqueue([item(str(n))], "scope")
    mine = first.peek(Signal.LOGS, OTLP, 2)
    theirs = second.peek(Signal.LOGS, OTLP, 10)
    assert [b.payload for b in mine] == [b"L0", b"L1"]
    assert [b.payload for b in theirs] == [b"L2", b"L3"]
    second.ack(theirs, OTLP)
    assert second.peek(Signal.LOGS, OTLP, 10) == []  # the first replica's claim is still live
    # The first replica dies with its batch in flight: once its claim expires the other sends it.
    deadline = time.monotonic() + 30
    taken: list[bytes] = []
    while not taken and time.monotonic() < deadline:
        taken = [b.payload for b in second.peek(Signal.LOGS, OTLP, 10)]
        time.sleep(0.1)
    assert taken == [b"L0", b"L1"]


def test_leases_are_exclusive_and_change_hands_with_a_new_epoch(postgres_dsn: str) -> None:
    queue = replica(postgres_dsn, "r1")  # creates the schema
    try:
        one = PostgresLeases(queue.pool, "r1", lease_time=2.0)
        two = PostgresLeases(queue.pool, "r2", lease_time=2.0)
        epoch = one.acquire("t/logs_api")
        assert epoch == 1
        assert two.acquire("t/logs_api") is None
        assert one.renew("t/logs_api", epoch)
        one.release("t/logs_api", epoch)
        assert not one.renew("t/logs_api", epoch)
        assert two.acquire("t/logs_api") == 2
        [holding] = two.holdings()
        assert (holding.name, holding.holder, holding.epoch) == ("t/logs_api", "r2", 2)
        assert 0 < holding.seconds_left <= 2.0
        assert one.heartbeat() == 1 and two.heartbeat() == 2
    finally:
        queue.close()


def test_a_write_under_a_lost_lease_is_fenced_and_changes_nothing(postgres_dsn: str) -> None:
    queue = replica(postgres_dsn, "r1")
    try:
        one = PostgresLeases(queue.pool, "r1", lease_time=60.0)
        two = PostgresLeases(queue.pool, "r2", lease_time=60.0)
        epoch = one.acquire("t/logs_api")
        assert epoch is not None
        token = CURRENT_FENCE.set(Fence("t/logs_api", "r1", epoch))
        try:
            queue.enqueue([item("a")], "scope", ("logs_api", "cursor-1"))
            # Paused past its lease: another replica takes over and moves the cursor on.
            with psycopg.connect(postgres_dsn, autocommit=True) as conn:
                conn.execute("UPDATE otel_auth0_leases SET expires_at = clock_timestamp()")
            assert two.acquire("t/logs_api") == epoch + 1
            with pytest.raises(Fenced):
                queue.enqueue([item("b")], "scope", ("logs_api", "cursor-0"))
            with pytest.raises(Fenced):
                queue.set_checkpoint("logs_api", "cursor-0")
        finally:
            CURRENT_FENCE.reset(token)
        checkpoint = queue.get_checkpoint("logs_api")
        assert checkpoint is not None and checkpoint.value == "cursor-1"  # never moved backwards
        assert not queue.has_seen("b") and queue.size == 1
        assert queue.drain_fenced() == {"t/logs_api": 2}
    finally:
        queue.close()


def test_an_unreachable_database_is_reported_not_raised_at_start() -> None:
    closed = f"host=127.0.0.1 port={free_port()} user=postgres dbname=postgres"
    queue = PostgresQueue.from_config(config(closed, connect_timeout="1s"), OTLP)
    try:
        with pytest.raises(StorageError, match="nothing was lost"):
            queue.enqueue([item("a")], "scope")
        assert queue.storage_error is not None and "PostgreSQL" in queue.storage_error
        assert queue.size == 0  # the last known totals, without raising
    finally:
        queue.close()


def test_a_connection_fails_after_connect_timeout_of_network_silence(postgres_dsn: str) -> None:
    """A partition drops packets without refusing anything: each connection carries a TCP user
    timeout and keepalives of ``state.connect_timeout``, so a call on it fails instead of blocking."""
    queue = replica(postgres_dsn, "r1", connect_timeout="3s")
    try:
        with queue.pool.connection() as conn:
            parameters = conn.info.get_parameters()
        assert parameters["tcp_user_timeout"] == "3000"
        assert parameters["keepalives"] == "1" and parameters["keepalives_idle"] == "3"
    finally:
        queue.close()


def test_a_transaction_its_replica_left_open_is_ended_by_the_server_and_its_locks_released(
    postgres_dsn: str,
) -> None:
    """A replica cut off mid-transaction (its fenced write holds the lease row) must not keep the
    others from the lease: the server ends a transaction idle for ``state.connect_timeout``."""
    queue = replica(postgres_dsn, "r1", connect_timeout="1s")
    try:
        queue.enqueue([item("a")], "scope")
        with (
            queue.pool.connection() as conn,
            pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout),
            conn.transaction(),
            psycopg.connect(postgres_dsn, autocommit=True) as watcher,
        ):
            conn.execute("LOCK TABLE otel_auth0_leases IN SHARE MODE")
            pid, gone = conn.info.backend_pid, "SELECT 1 FROM pg_stat_activity WHERE pid = %s"
            deadline = time.monotonic() + 60
            while watcher.execute(gone, (pid,)).fetchone() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert watcher.execute(gone, (pid,)).fetchone() is None, "the session still holds its lock"
            with watcher.transaction():
                watcher.execute("LOCK TABLE otel_auth0_leases IN EXCLUSIVE MODE NOWAIT")
    finally:
        queue.close()


LOCK_WAITS = (
    "SELECT pid FROM pg_stat_activity WHERE application_name = 'otel-auth0' AND wait_event_type = 'Lock'"
)


def test_the_fenced_count_is_read_without_waiting_for_a_database_call_in_flight(postgres_dsn: str) -> None:
    """The event loop reads ``drain_fenced`` every few seconds: it must not wait for a write blocked
    in the database (here on a table lock; in a partition, on the network)."""
    queue = replica(postgres_dsn, "r1")
    try:
        queue.enqueue([item("a")], "scope")
        with psycopg.connect(postgres_dsn) as blocker:
            blocker.execute("LOCK TABLE otel_auth0_items IN ACCESS EXCLUSIVE MODE")
            writer = threading.Thread(target=queue.enqueue, args=([item("b")], "scope"))
            writer.start()
            with psycopg.connect(postgres_dsn, autocommit=True) as watcher:
                deadline = time.monotonic() + 60
                while not watcher.execute(LOCK_WAITS).fetchall() and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert watcher.execute(LOCK_WAITS).fetchall(), "the write never waited for the lock"
                assert queue.drain_fenced() == {}
                assert watcher.execute(LOCK_WAITS).fetchall(), "drain_fenced waited for the write"
            blocker.rollback()
        writer.join()
        assert queue.has_seen("b")
    finally:
        queue.close()


@pytest.fixture
def own_server(postgres_server: PostgresServer) -> Iterator[PostgresServer]:
    """A server of this test's own (it is restarted), once the session's shows one can run here."""
    assert server_binaries() is not None
    with running_server() as server:
        yield server


def test_the_backend_reconnects_after_an_immediate_server_restart(own_server: PostgresServer) -> None:
    queue = replica(own_server.dsn(), "r1", pool_size=2)
    try:
        queue.enqueue([item("before")], "scope", ("logs_api", "1"))
        own_server.stop("immediate")
        with pytest.raises(StorageError):
            queue.enqueue([item("during")], "scope", ("logs_api", "2"))
        assert queue.storage_error is not None
        own_server.start()
        deadline = time.monotonic() + 60
        while True:
            try:
                queue.enqueue([item("after")], "scope", ("logs_api", "3"))
                break
            except StorageError:
                assert time.monotonic() < deadline, queue.storage_error
                time.sleep(0.2)
        assert queue.storage_error is None
        assert queue.has_seen("before") and queue.has_seen("after") and not queue.has_seen("during")
        checkpoint = queue.get_checkpoint("logs_api")
        assert checkpoint is not None and checkpoint.value == "3"
    finally:
        queue.close()


def test_two_schemas_in_one_database_never_share_keys_checkpoints_or_leases(postgres_dsn: str) -> None:
    """Two tenants (``state.schema``) on one replica and one database: the same log id is queued by
    each, checkpoints and leases of one are invisible to the other, and each exports only its rows."""
    acme = replica(postgres_dsn, "r1", schema="otel_auth0_acme")
    globex = replica(postgres_dsn, "r1", schema="otel_auth0_globex")
    try:
        for queue in (acme, globex):
            stored = queue.enqueue([item("900-same-log-id")], "logs_api", ("logs_api.cursor", "c1"))
            assert stored.accepted == 1
        assert acme.enqueue([item("900-same-log-id")], "logs_api").accepted == 0  # within one: deduplicated
        acme.set_checkpoint("logs_api.cursor", "c2")
        assert acme.get_checkpoint("logs_api.cursor") is not None
        assert [c.value for _, c in acme.checkpoints("logs_api.")] == ["c2"]
        assert [c.value for _, c in globex.checkpoints("logs_api.")] == ["c1"]
        acme_leases = PostgresLeases(acme.pool, "r1", 5.0)
        assert acme_leases.acquire("acme/logs_api") == 1
        assert [h.name for h in PostgresLeases(globex.pool, "r1", 5.0).holdings()] == []
        assert [len(acme.peek(Signal.LOGS, OTLP, 10)), len(globex.peek(Signal.LOGS, OTLP, 10))] == [1, 1]
    finally:
        acme.close()
        globex.close()
    with psycopg.connect(postgres_dsn) as conn:
        schemas = conn.execute(
            "SELECT table_schema, COUNT(*) FROM information_schema.tables"
            " WHERE table_name = 'otel_auth0_seen' GROUP BY table_schema ORDER BY 1"
        ).fetchall()
    assert schemas == [("otel_auth0_acme", 1), ("otel_auth0_globex", 1)]
