"""Many tenants on a fleet: one ``tenants:`` configuration on PostgreSQL, three ``otel-auth0 run``
replicas behind a load balancer that every tenant's simulated Log Stream posts to, each tenant's
poller under its own lease. All real processes and sockets (a real PostgreSQL server, the simulators,
the test OTLP receiver, a TCP load balancer)."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from otel_auth0.config.tenants import tenant_schema
from otel_auth0.local_ports import free_port
from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.integration.log_stream_process import as_array, items, post_items
from tests.integration.test_tenants_e2e import ids_by_tenant, sim_log_ids, sim_stats
from tests.otlp_receiver import OtlpReceiver
from tests.support.fleet import (
    Replica,
    leases,
    poller_leases,
    replica_config,
    simulators,
    start_replica,
    tenants_section,
    token_of,
    wait_until,
)
from tests.support.fleet_db import LeaseRows, audit_enqueues, enqueued_log_ids
from tests.support.tcp_balancer import TcpBalancer, running_balancer

pytestmark = pytest.mark.integration

TENANTS = ("acme", "globex", "initech")
EVENTS = 450
EVENTS_PER_SECOND = 30
# How long the simulators generate in the kill -9 test (issue 23: 2 minutes; shorter for a local run).
TRAFFIC_SECONDS = float(os.environ.get("FLEET_TRAFFIC_SECONDS", "120"))
LEASE_TIME = 3.0
BATCH_SIZE = 50


def tenant_replica(
    stack: ExitStack,
    tmp_path: Path,
    name: str,
    dsn: str,
    sims: dict[str, SimulatorHandle],
    receiver: OtlpReceiver,
    stream_port: int | None,
) -> Replica:
    """One replica running every tenant (with ``stream_port``, also their Log Stream there), stopped
    with ``stack``."""
    telemetry_port = free_port()
    stream_listen = f"127.0.0.1:{stream_port}" if stream_port is not None else None
    path = replica_config(
        tmp_path,
        name,
        dsn,
        receiver,
        f"127.0.0.1:{telemetry_port}",
        LEASE_TIME,
        BATCH_SIZE,
        pool_size=3,
        tenants=tenants_section(sims, stream_listen),
    )
    return start_replica(stack, tmp_path, name, path, telemetry_port, stream_port)


@contextmanager
def tenant_fleet(
    tmp_path: Path, dsn: str, receiver: OtlpReceiver, count: int, events: int = EVENTS
) -> Iterator[tuple[TcpBalancer, dict[str, SimulatorHandle], list[Replica], ExitStack]]:
    """The balancer, the simulators generating ``events`` each, ``count`` replicas behind the
    balancer, and the stack that stops them (replicas started later go on it too)."""
    stream_ports = [free_port() for _ in range(count)]
    balancer_port = free_port()
    with (
        ExitStack() as stack,
        running_balancer(balancer_port, [f"127.0.0.1:{port}" for port in stream_ports]) as balancer,
        simulators(tmp_path, TENANTS, balancer_port, events, EVENTS_PER_SECOND) as sims,
    ):
        replicas = [
            tenant_replica(stack, tmp_path, f"r{index}", dsn, sims, receiver, stream_port)
            for index, stream_port in enumerate(stream_ports)
        ]
        yield balancer, sims, replicas, stack


def test_three_tenants_on_three_replicas_lose_nothing_when_a_poller_lease_holder_is_killed(
    tmp_path: Path, postgres_dsn: str, otlp_receiver: OtlpReceiver
) -> None:
    """Issue 23: 3 replicas, 3 tenants, traffic on both the stream and the poller for
    ``TRAFFIC_SECONDS`` (2 minutes), kill -9 of the holder of a tenant's poller lease half-way: 0 log
    ids lost, 0 entering the queue twice (every committed queue row is copied by a trigger), at most
    one export batch per tenant queue sent twice, and the lease taken over within lease time + 2 s
    (on the database's clock, from the lease rows)."""
    lease = "acme/logs_api"
    events = round(EVENTS_PER_SECOND * TRAFFIC_SECONDS)
    schemas = tuple(tenant_schema(None, tenant) for tenant in TENANTS)
    audit_enqueues(postgres_dsn, schemas)
    started = time.monotonic()  # the simulators generate from their start
    with (
        tenant_fleet(tmp_path, postgres_dsn, otlp_receiver, 3, events) as (balancer, sims, replicas, _),
        LeaseRows(postgres_dsn, LEASE_TIME, schemas) as rows,
    ):
        # Every tenant's poller lease is held, one per replica (3 leases over 3 live replicas).
        assert wait_until(lambda: len(poller_leases(replicas)) == len(TENANTS), 60), leases(replicas)
        pollers = lambda: poller_leases(replicas)  # noqa: E731
        assert wait_until(lambda: len({h for h, _ in pollers().values()}) == 3, 60), leases(replicas)
        # The same log ids posted to two tenants' paths: each tenant queues its own copy.
        shared = items(3)
        for tenant in ("acme", "globex"):
            url = f"http://127.0.0.1:{balancer.port}/auth0/{tenant}/logs"
            assert post_items(url, as_array(shared), token=token_of(tenant)).status_code == 200

        # Half-way through the traffic, kill -9 of the lease's holder.
        half = events // 2
        assert wait_until(lambda: int(sim_stats(sims["acme"])["generated"]) >= half, TRAFFIC_SECONDS + 120)
        first, epoch = leases(replicas)[lease]
        victim = next(r for r in replicas if r.name == first)
        survivors = [r for r in replicas if r is not victim]
        killed_at = rows.now()
        victim.process.kill()
        assert wait_until(lambda: rows.taken_over(lease, epoch, first) is not None, 60), rows.grants(lease)
        taken = rows.taken_over(lease, epoch, first)
        assert taken is not None and taken.holder in {r.name for r in survivors}
        expired = next(g for g in rows.grants(lease) if g.epoch == epoch).expires_at
        takeover = (taken.granted_at - killed_at).total_seconds()
        # The status page of a survivor shows the new holder in the tenant's lease section.
        assert wait_until(lambda: survivors[0].status_holder(lease, "acme") == taken.holder, 60)
        # After the kill, the three leases are held by the two survivors.
        assert wait_until(
            lambda: (
                {h for h, _ in poller_leases(survivors).values()} <= {r.name for r in survivors}
                and len(poller_leases(survivors)) == len(TENANTS)
            ),
            60,
        ), leases(survivors)

        assert wait_until(
            lambda: all(int(sim_stats(sim)["generated"]) >= events for sim in sims.values()),
            TRAFFIC_SECONDS + 120,
        )
        traffic = time.monotonic() - started
        expected: Counter[tuple[str, str, str]] = Counter()
        for tenant, sim in sims.items():
            expected.update((tenant, sim.info["domain"], log_id) for log_id in sim_log_ids(sim))
        for tenant in ("acme", "globex"):
            expected.update((tenant, sims[tenant].info["domain"], item["log_id"]) for item in shared)
        assert wait_until(lambda: set(expected) <= set(ids_by_tenant(otlp_receiver)), 180), (
            f"missing {len(set(expected) - set(ids_by_tenant(otlp_receiver)))} log ids"
        )
        # Every tenant's stream got through the balancer too (retried onto a live replica after the kill).
        assert wait_until(
            lambda: all(int(sim_stats(sim)["stream"]["delivered"]) >= events for sim in sims.values()), 180
        )
        streamed = {tenant: int(sim_stats(sim)["stream"]["delivered"]) for tenant, sim in sims.items()}
        query = sql.SQL("SELECT value FROM {}.otel_auth0_checkpoints WHERE name = 'logs_api.cursor'")
        with psycopg.connect(postgres_dsn) as conn:
            cursors = {
                tenant: conn.execute(query.format(sql.Identifier(tenant_schema(None, tenant)))).fetchone()
                for tenant in TENANTS
            }

    counts = ids_by_tenant(otlp_receiver)
    stray = [key for key in counts if key not in expected]
    lost = [key for key in expected if counts[key] == 0]
    resent = {
        tenant: sum(counts[key] - 1 for key in expected if key[0] == tenant and counts[key] > 1)
        for tenant in TENANTS
    }
    queued = {tenant: enqueued_log_ids(postgres_dsn, tenant_schema(None, tenant)) for tenant in TENANTS}
    wanted = {tenant: {key[2] for key in expected if key[0] == tenant} for tenant in TENANTS}
    queued_twice = {tenant: sum(n - 1 for n in queued[tenant].values() if n > 1) for tenant in TENANTS}
    print(
        f"\n3 tenants x 3 replicas behind one load balancer, traffic on stream and poller for {traffic:.0f}s "
        f"({events} events per tenant at {EVENTS_PER_SECOND}/s), kill -9 of {first} (holder of {lease}, "
        f"epoch {epoch}) half-way: its lease expired {(expired - killed_at).total_seconds():.2f}s after the "
        f"kill and was granted to {taken.holder} (epoch {taken.epoch}) {takeover:.2f}s after it, on the "
        f"database's clock (bound: lease {LEASE_TIME:.0f}s + 2s, margin {LEASE_TIME + 2 - takeover:.2f}s); "
        f"{len(expected)} log ids generated or posted, lost {len(lost)}, stray {len(stray)}; entered the "
        f"queue twice {queued_twice}; sent twice to the OTLP receiver {resent} (bound: one batch of "
        f"{BATCH_SIZE} per tenant queue); stream delivered {streamed}; "
        f"connections by replica {balancer.connections}"
    )
    assert lost == [] and stray == []
    assert all(set(queued[tenant]) == wanted[tenant] for tenant in TENANTS)
    assert queued_twice == {tenant: 0 for tenant in TENANTS}
    # A killed replica can leave one claimed export batch per tenant queue in flight.
    assert all(copies <= BATCH_SIZE for copies in resent.values()), resent
    assert 0 < takeover <= LEASE_TIME + 2
    assert all(cursor is not None for cursor in cursors.values()), cursors


def expected_ids(sims: dict[str, SimulatorHandle], events: int) -> Counter[tuple[str, str, str]]:
    """(tenant, domain, log id) of every event the simulators generated (once they generated all)."""
    expected: Counter[tuple[str, str, str]] = Counter()
    for tenant, sim in sims.items():
        assert wait_until(lambda sim=sim: int(sim_stats(sim)["generated"]) >= events, 120)
        expected.update((tenant, sim.info["domain"], log_id) for log_id in sim_log_ids(sim))
    return expected


def test_acceptance_kill_one_then_another_then_bring_them_back(
    tmp_path: Path, postgres_dsn: str, otlp_receiver: OtlpReceiver
) -> None:
    """The issue's acceptance: 3 tenants, 3 replicas behind a load balancer; kill one replica, then
    another, then start two again: every log id of every tenant arrives, duplicates stay within one
    in-flight batch per tenant queue per kill, and the status page shows who holds what at each step."""
    events = 900
    lease_names = {f"{tenant}/logs_api" for tenant in TENANTS}
    steps: list[str] = []
    with tenant_fleet(tmp_path, postgres_dsn, otlp_receiver, 3, events) as (_, sims, replicas, stack):

        def spread_over(alive: list[Replica], holders: int) -> bool:
            """Every lease held, by ``holders`` distinct live replicas, on the status page of each."""
            names = {r.name for r in alive}
            for replica in alive:
                shown = {lease: replica.status_holder(lease, lease.split("/")[0]) for lease in lease_names}
                if not set(shown.values()) <= names or len(set(shown.values())) != holders:
                    return False
            steps.append(f"{[r.name for r in alive]}: {sorted(shown.items())}")
            return True

        assert wait_until(lambda: spread_over(replicas, 3), 60), leases(replicas)
        first = replicas[0]
        first.process.kill()
        alive = replicas[1:]
        assert wait_until(lambda: spread_over(alive, 2), 60), leases(alive)
        second = alive[0]
        second.process.kill()
        alive = alive[1:]
        assert wait_until(lambda: spread_over(alive, 1), 60), leases(alive)
        for dead in (first, second):
            assert dead.stream_port is not None
            back = tenant_replica(
                stack, tmp_path, f"{dead.name}-back", postgres_dsn, sims, otlp_receiver, dead.stream_port
            )
            alive.append(back)
        assert wait_until(lambda: spread_over(alive, 3), 60), leases(alive)

        expected = expected_ids(sims, events)
        assert wait_until(lambda: set(expected) <= set(ids_by_tenant(otlp_receiver)), 120), (
            f"missing {len(set(expected) - set(ids_by_tenant(otlp_receiver)))} log ids"
        )
        assert wait_until(
            lambda: all(int(sim_stats(sim)["stream"]["delivered"]) >= events for sim in sims.values()), 120
        )

    counts = ids_by_tenant(otlp_receiver)
    lost = [key for key in expected if counts[key] == 0]
    stray = [key for key in counts if key not in expected]
    duplicated = sum(counts[key] - 1 for key in expected if counts[key] > 1)
    print("\nleases on the status pages at each step:\n  " + "\n  ".join(steps))
    print(
        f"3 tenants, kill -9 of {first.name} then {second.name}, both brought back: {len(expected)} log ids, "
        f"lost {len(lost)}, stray {len(stray)}, duplicates at the OTLP receiver {duplicated} "
        f"(bound: 2 kills x {len(TENANTS)} tenant queues x {BATCH_SIZE})"
    )
    assert lost == [] and stray == []
    assert duplicated <= 2 * len(TENANTS) * BATCH_SIZE


def test_five_tenants_on_three_replicas_never_get_a_429_in_steady_state_nor_after_a_takeover(
    tmp_path: Path, postgres_dsn: str, otlp_receiver: OtlpReceiver
) -> None:
    """Each tenant's Management API allows 5 requests/s (burst 5); every tenant's poller asks every
    200 ms, paced by the rate-limit headers (and, after a takeover, by the stored rate-limit state)."""
    tenants = [f"t{n}" for n in range(5)]
    events = 300
    with ExitStack() as stack:
        sims = {
            tenant: stack.enter_context(
                running_simulator(
                    "--no-tls",
                    "--state-dir",
                    str(tmp_path / f"sim-{tenant}"),
                    "--events-per-second",
                    "20",
                    "--max-events",
                    str(events),
                    "--mgmt-rate-limit",
                    "5",
                )
            )
            for tenant in tenants
        }

        def rate_limited() -> dict[str, int]:
            return {tenant: int(sim_stats(sim)["rate_limited"]) for tenant, sim in sims.items()}

        def pages() -> int:
            return sum(
                int(sum(by_status.values()))
                for sim in sims.values()
                for path, by_status in sim_stats(sim)["requests"].items()
                if path.startswith("/api/v2/logs")
            )

        replicas = [
            tenant_replica(stack, tmp_path, f"r{index}", postgres_dsn, sims, otlp_receiver, None)
            for index in range(3)
        ]
        lease = "t0/logs_api"
        assert wait_until(lambda: len(poller_leases(replicas)) == len(tenants), 60), leases(replicas)
        assert wait_until(lambda: pages() >= 100, 60)
        steady = rate_limited()
        first, epoch = leases(replicas)[lease]
        victim = next(r for r in replicas if r.name == first)
        survivors = [r for r in replicas if r is not victim]
        victim.process.kill()
        assert wait_until(lambda: (leases(survivors).get(lease) or ("", 0))[0] not in ("", first), 60)
        new_holder, new_epoch = leases(survivors)[lease]
        expected = expected_ids(sims, events)
        assert wait_until(lambda: set(expected) <= set(ids_by_tenant(otlp_receiver)), 120)
        after = rate_limited()
        requests = pages()
    print(
        f"\n5 tenants x 3 replicas, 5 requests/s per tenant: {requests} logs API requests; 429s in steady "
        f"state {steady}, after kill -9 of {first} ({lease} epoch {epoch} -> {new_holder} epoch {new_epoch}) "
        f"{after}; {len(expected)} log ids delivered"
    )
    assert sum(steady.values()) == 0
    assert sum(after.values()) == 0
