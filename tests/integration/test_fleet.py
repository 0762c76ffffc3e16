"""A fleet on the PostgreSQL state backend, all real processes and sockets: replicas of ``otel-auth0 run``
sharing one database (a real server from the ``postgres_server`` fixture), the tenant simulator and the
test OTLP receiver. kill -9 and SIGSTOP of the poller's lease holder, the same Log Stream batch posted to
two replicas at once, the database going away under a replica."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from otel_auth0.local_ports import free_port
from otel_auth0.receivers.stream_progress import log_id_order
from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.integration.log_stream_process import TOKEN, as_array, items, post_items
from tests.otlp_receiver import OtlpReceiver
from tests.support.fleet import (
    Replica,
    duplicated,
    holder,
    received_ids,
    replica_config,
    sim_get,
    start_replica,
    wait_until,
)
from tests.support.postgres_server import PostgresServer, running_server

pytestmark = pytest.mark.integration

LEASE_TIME = 3.0
POLLER_LEASE = "fleet/logs_api"
BATCH_SIZE = 100


@contextmanager
def fleet(
    tmp_path: Path,
    dsn: str,
    receiver: OtlpReceiver,
    count: int,
    sim: SimulatorHandle | None = None,
    stream: bool = False,
) -> Iterator[list[Replica]]:
    """``count`` replicas of one tenant ``fleet``: polling ``sim`` when given, each serving the Log
    Stream on a port of its own with ``stream``."""
    sections: dict[str, Any] = {"receivers": {}}
    if sim is not None:
        info = sim.info
        sections["auth0"] = {
            "domain": info["domain"],
            "scheme": "http",
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
            "tenant": "fleet",
        }
        sections["receivers"]["logs_api"] = {"interval": "200ms", "start_from": "oldest", "take": 50}
    with ExitStack() as stack:
        replicas = []
        for index in range(count):
            name, telemetry_port = f"r{index}", free_port()
            stream_port = free_port() if stream else None
            receivers = dict(sections["receivers"])
            if stream_port is not None:
                receivers["log_stream"] = {
                    "listen": f"127.0.0.1:{stream_port}",
                    "path": "/auth0/logs",
                    "token": TOKEN,
                }
            path = replica_config(
                tmp_path,
                name,
                dsn,
                receiver,
                f"127.0.0.1:{telemetry_port}",
                LEASE_TIME,
                BATCH_SIZE,
                **{**sections, "receivers": receivers},
            )
            replicas.append(start_replica(stack, tmp_path, name, path, telemetry_port, stream_port))
        yield replicas


def checkpoint(dsn: str, name: str) -> tuple[str, int | None] | None:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT value, epoch FROM otel_auth0_checkpoints WHERE name = %s", (name,)
        ).fetchone()
    return (str(row[0]), row[1]) if row else None


def simulator(tmp_path: Path, total: int) -> Any:
    return running_simulator(
        "--no-tls",
        "--events-per-second",
        "40",
        "--max-events",
        str(total),
        "--seed",
        "23",
        "--state-dir",
        str(tmp_path / "sim"),
    )


def test_kill_9_of_the_poller_lease_holder_loses_nothing_and_another_takes_over(
    tmp_path: Path, postgres_dsn: str, otlp_receiver: OtlpReceiver
) -> None:
    total = 1200
    with simulator(tmp_path, total) as sim, fleet(tmp_path, postgres_dsn, otlp_receiver, 3, sim) as replicas:
        assert wait_until(lambda: len(received_ids(otlp_receiver)) >= 200)
        text = httpx.get(f"http://127.0.0.1:{replicas[0].telemetry_port}/metrics", timeout=5).text
        for metric in ("held", "acquisitions_total", "losses_total", "fenced_commits_total"):
            assert f'otel_auth0_lease_{metric}{{otel_auth0_lease="{POLLER_LEASE}"' in text, metric
        first, epoch = holder(replicas, POLLER_LEASE)
        victim = next(r for r in replicas if r.name == first)
        survivors = [r for r in replicas if r is not victim]
        victim.process.kill()
        killed_at = time.monotonic()
        new_holder, new_epoch = holder(survivors, POLLER_LEASE, other_than=first)
        takeover = time.monotonic() - killed_at
        assert new_epoch > epoch
        assert wait_until(lambda: survivors[0].status_holder(POLLER_LEASE) == new_holder)
        assert wait_until(lambda: sim_get(sim, "/_sim/stats")["generated"] >= total, 180)
        generated = set(sim_get(sim, "/_sim/log-ids")["log_ids"])
        assert wait_until(lambda: generated <= set(received_ids(otlp_receiver)), 180), (
            f"missing {len(generated - set(received_ids(otlp_receiver)))} log ids"
        )
        ids = received_ids(otlp_receiver)
        copies = duplicated(Counter(ids))
        stored = checkpoint(postgres_dsn, "logs_api.cursor")
        print(
            f"\n3 replicas, kill -9 of poller holder {first} (epoch {epoch}): taken over by {new_holder} "
            f"(epoch {new_epoch}) {takeover:.1f}s later (lease {LEASE_TIME:.0f}s); "
            f"generated {len(generated)}, "
            f"received {len(set(ids))} distinct, lost {len(generated - set(ids))}, "
            f"duplicates at the OTLP receiver {copies} (bound: one batch of {BATCH_SIZE})"
        )
        assert generated <= set(ids)
        assert copies <= BATCH_SIZE
        assert stored is not None and stored[1] is not None and stored[1] >= new_epoch


def test_a_paused_lease_holder_cannot_commit_after_its_lease_moved(
    tmp_path: Path, postgres_dsn: str, otlp_receiver: OtlpReceiver
) -> None:
    total = 1000
    with simulator(tmp_path, total) as sim, fleet(tmp_path, postgres_dsn, otlp_receiver, 2, sim) as replicas:
        assert wait_until(lambda: len(received_ids(otlp_receiver)) >= 100)
        first, epoch = holder(replicas, POLLER_LEASE)
        paused = next(r for r in replicas if r.name == first)
        other = next(r for r in replicas if r is not paused)
        cursors: list[str] = []
        watching = threading.Event()

        def watch() -> None:  # the stored cursor, sampled while everything happens
            while not watching.is_set():
                stored = checkpoint(postgres_dsn, "logs_api.cursor")
                if stored is not None and (not cursors or cursors[-1] != stored[0]):
                    cursors.append(stored[0])
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            os.kill(paused.process.process.pid, signal.SIGSTOP)
            paused_at = time.monotonic()
            holder([other], POLLER_LEASE, other_than=first)
            # Stay paused past twice the lease time (the scenario), then resume.
            time.sleep(max(0.0, 2 * LEASE_TIME + 1 - (time.monotonic() - paused_at)))
            os.kill(paused.process.process.pid, signal.SIGCONT)
            assert wait_until(lambda: paused.metric("otel_auth0_lease_losses", POLLER_LEASE) >= 1, 60)
            assert wait_until(lambda: sim_get(sim, "/_sim/stats")["generated"] >= total, 180)
            generated = set(sim_get(sim, "/_sim/log-ids")["log_ids"])
            assert wait_until(lambda: generated <= set(received_ids(otlp_receiver)), 180)
        finally:
            watching.set()
            watcher.join()
        fenced = paused.metric("otel_auth0_lease_fenced_commits", POLLER_LEASE)
        ids = received_ids(otlp_receiver)
        copies = duplicated(Counter(ids))
        stored = checkpoint(postgres_dsn, "logs_api.cursor")
        print(
            f"\nSIGSTOP of {first} (epoch {epoch}) for >{2 * LEASE_TIME:.0f}s: "
            f"lost the lease to {other.name}; "
            f"its late commits refused (fenced): {fenced:.0f}; cursor values seen {len(cursors)}, "
            f"lost {len(generated - set(ids))}, duplicates at the receiver {copies}"
        )
        orders = [log_id_order(cursor) for cursor in cursors if cursor != "oldest"]
        assert orders == sorted(orders), "the stored cursor moved backwards"
        assert stored is not None and stored[1] is not None and stored[1] > epoch
        assert generated <= set(ids)
        assert copies <= BATCH_SIZE


def test_the_same_stream_batch_posted_to_two_replicas_at_once_is_queued_once(
    tmp_path: Path, postgres_dsn: str, otlp_receiver: OtlpReceiver
) -> None:
    rounds = 150
    with fleet(tmp_path, postgres_dsn, otlp_receiver, 2, stream=True) as replicas:
        statuses: list[int] = []
        sent: set[str] = set()
        barrier = threading.Barrier(2)
        batches = [items(4) for _ in range(rounds)]
        for batch in batches:
            sent |= {item["log_id"] for item in batch}

        def post(replica: Replica) -> None:
            for batch in batches:
                barrier.wait()
                statuses.append(post_items(replica.stream_url(), as_array(batch)).status_code)

        threads = [threading.Thread(target=post, args=(replica,)) for replica in replicas]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200] * (2 * rounds)
        assert wait_until(lambda: sent <= set(received_ids(otlp_receiver)), 120)
        with psycopg.connect(postgres_dsn) as conn:
            accepted = conn.execute("SELECT COUNT(*) FROM otel_auth0_seen").fetchone()
        time.sleep(1.0)  # anything still on its way would show as a duplicate below
        counts = Counter(received_ids(otlp_receiver))
        print(
            f"\n{rounds} batches of 4 posted to 2 replicas at once: {len(statuses)} answers 200, "
            f"{accepted[0] if accepted else 0} keys queued for {len(sent)} log ids, "
            f"{sum(counts.values())} records at the receiver"
        )
        assert set(counts) == sent and max(counts.values()) == 1


@pytest.fixture
def own_server(postgres_server: PostgresServer) -> Iterator[PostgresServer]:
    """A server of this test's own (it is stopped and started), once the session's shows one can run."""
    with running_server() as server:
        yield server


def test_without_postgresql_the_stream_answers_503_and_readyz_fails_then_resumes(
    tmp_path: Path, own_server: PostgresServer, otlp_receiver: OtlpReceiver
) -> None:
    dsn = own_server.new_database()
    with fleet(tmp_path, dsn, otlp_receiver, 1, stream=True) as [replica]:
        first = items(3)
        assert post_items(replica.stream_url(), as_array(first)).status_code == 200
        assert wait_until(lambda: replica.readyz().status_code == 200, 60)
        own_server.stop("immediate")
        during = items(3)
        answer = post_items(replica.stream_url(), as_array(during))
        assert answer.status_code == 503 and "Retry-After" in answer.headers
        assert wait_until(lambda: replica.readyz().status_code == 503, 60)
        reasons = replica.readyz().json()["reasons"]
        own_server.start()
        returned = time.monotonic()
        assert wait_until(lambda: post_items(replica.stream_url(), as_array(during)).status_code == 200, 60)
        resumed = time.monotonic() - returned
        assert wait_until(lambda: replica.readyz().status_code == 200, 60)
        expected = {item["log_id"] for item in first + during}
        assert wait_until(lambda: expected <= set(received_ids(otlp_receiver)), 60)
        print(
            f"\nPostgreSQL stopped (immediate): 503 and /readyz {reasons}; "
            f"accepted again {resumed:.1f}s after"
        )
        assert any("PostgreSQL" in reason for reason in reasons)


def test_replicas_resume_after_an_immediate_postgresql_restart_under_load(
    tmp_path: Path, own_server: PostgresServer, otlp_receiver: OtlpReceiver
) -> None:
    """Poller replicas (the stream's 503 during an outage is the test above: a hybrid poller would
    follow the test's own stream ids past the simulator's)."""
    total = 900
    dsn = own_server.new_database()
    with simulator(tmp_path, total) as sim, fleet(tmp_path, dsn, otlp_receiver, 2, sim) as replicas:
        holder(replicas, POLLER_LEASE)
        assert wait_until(lambda: len(received_ids(otlp_receiver)) >= 100)
        own_server.stop("immediate")
        assert wait_until(lambda: all(r.readyz().status_code == 503 for r in replicas), 60)
        own_server.start()
        returned = time.monotonic()
        assert wait_until(lambda: all(r.readyz().status_code == 200 for r in replicas), 120)
        resumed = time.monotonic() - returned
        assert wait_until(lambda: sim_get(sim, "/_sim/stats")["generated"] >= total, 180)
        expected = set(sim_get(sim, "/_sim/log-ids")["log_ids"])
        assert wait_until(lambda: expected <= set(received_ids(otlp_receiver)), 180), (
            f"missing {len(expected - set(received_ids(otlp_receiver)))} log ids"
        )
        ids = received_ids(otlp_receiver)
        copies = duplicated(Counter(ids))
        print(
            f"\nPostgreSQL restarted (immediate) under load, 2 replicas: both ready again {resumed:.1f}s "
            f"after the server returned; lost {len(expected - set(ids))} of {len(expected)}, "
            f"duplicates at the receiver {copies}"
        )
        assert expected <= set(ids)
        assert copies <= 2 * BATCH_SIZE  # at most the in-flight batch of each replica
