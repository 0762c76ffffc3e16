"""Many tenants on a fleet: one ``tenants:`` configuration on PostgreSQL, three ``otel-auth0 run``
replicas behind a load balancer that every tenant's simulated Log Stream posts to, each tenant's
poller under its own lease. All real processes and sockets (a real PostgreSQL server, the simulators,
the test OTLP receiver, a TCP load balancer)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from otel_auth0.local_ports import free_port
from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.collector_process import running_collector, write_config
from tests.integration.log_stream_process import as_array, items, post_items
from tests.integration.test_fleet import Replica, leases, wait_until
from tests.integration.test_tenants_e2e import ids_by_tenant, sim_log_ids, sim_stats
from tests.otlp_receiver import OtlpReceiver
from tests.support.tcp_balancer import TcpBalancer, running_balancer

pytestmark = pytest.mark.integration

TENANTS = ("acme", "globex", "initech")
EVENTS = 450
LEASE_TIME = 3.0
BATCH_SIZE = 50


def token_of(tenant: str) -> str:
    return f"stream-token-of-{tenant}"


@contextmanager
def simulators(tmp_path: Path, balancer_port: int, events: int) -> Iterator[dict[str, SimulatorHandle]]:
    """One simulator per tenant, generating ``events`` events and pushing them through the balancer."""
    with ExitStack() as stack:
        sims = {}
        for tenant in TENANTS:
            sims[tenant] = stack.enter_context(
                running_simulator(
                    "--no-tls",
                    "--state-dir",
                    str(tmp_path / f"sim-{tenant}"),
                    "--events-per-second",
                    "30",
                    "--max-events",
                    str(events),
                    "--log-stream-url",
                    f"http://127.0.0.1:{balancer_port}/auth0/{tenant}/logs",
                    "--log-stream-token",
                    token_of(tenant),
                    "--log-stream-batch-size",
                    "10",
                )
            )
        yield sims


def replica_config(
    tmp_path: Path,
    name: str,
    dsn: str,
    sims: dict[str, SimulatorHandle],
    receiver: OtlpReceiver,
    stream_port: int | None,
    telemetry_port: int,
) -> Path:
    """Every replica runs the same tenants (its own state_dir, listen ports and name); each polls,
    and with ``stream_port`` also serves its Log Stream there."""
    tenants = []
    for tenant, sim in sims.items():
        receivers: dict[str, Any] = {"logs_api": {"interval": "200ms", "start_from": "oldest", "take": 50}}
        if stream_port is not None:
            # Poll beside the stream all the time: both paths carry every log id.
            receivers["logs_api"]["gap_fill_after"] = "0s"
            receivers["log_stream"] = {"listen": f"127.0.0.1:{stream_port}", "token": token_of(tenant)}
        auth0 = {
            "domain": sim.info["domain"],
            "scheme": "http",
            "client_id": sim.info["client_id"],
            "client_secret": sim.info["client_secret"],
        }
        tenants.append({"name": tenant, "auth0": auth0, "receivers": receivers})
    body: dict[str, Any] = {
        "state_dir": str(tmp_path / name),
        "state": {
            "backend": "postgres",
            "dsn": dsn,
            "replica_id": name,
            "lease_time": f"{LEASE_TIME}s",
            "claim_timeout": "5s",
            "connect_timeout": "2s",
            "pool_size": 3,
        },
        "tenants": tenants,
        "exporters": {
            "otlp": {"endpoint": receiver.http_endpoint, "protocol": "http/protobuf", "insecure": True}
        },
        "queue": {"batch_size": BATCH_SIZE, "max_backoff": "1s"},
        "telemetry": {"listen": f"127.0.0.1:{telemetry_port}", "metrics_interval": "500ms"},
    }
    return write_config(tmp_path / f"{name}.yaml", body)


def status_holder(replica: Replica, tenant: str, lease: str) -> str | None:
    """The holder of ``lease`` on ``replica``'s status page (``/status.json``, the tenant's leases)."""
    page = httpx.get(f"http://127.0.0.1:{replica.telemetry_port}/status.json", timeout=5).json()
    sections = page["sections"]
    section = next((s for s in sections if s["id"] == "leases" and s.get("tenant") == tenant), {"rows": []})
    return next((row["holder"] for row in section["rows"] if row["lease"] == lease), None)


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
        simulators(tmp_path, balancer_port, events) as sims,
    ):
        replicas = []
        for index, stream_port in enumerate(stream_ports):
            replicas.append(start_replica(stack, tmp_path, f"r{index}", dsn, sims, receiver, stream_port))
        yield balancer, sims, replicas, stack


def start_replica(
    stack: ExitStack,
    tmp_path: Path,
    name: str,
    dsn: str,
    sims: dict[str, SimulatorHandle],
    receiver: OtlpReceiver,
    stream_port: int,
) -> Replica:
    """One replica on ``stream_port`` (behind the balancer), stopped with ``stack``."""
    telemetry_port = free_port()
    path = replica_config(tmp_path, name, dsn, sims, receiver, stream_port, telemetry_port)
    process = stack.enter_context(
        running_collector(path, tmp_path / f"{name}.log", stream_port, on_exit="kill")
    )
    return Replica(name, process, telemetry_port, stream_port)


def test_three_tenants_on_three_replicas_lose_nothing_when_a_poller_lease_holder_is_killed(
    tmp_path: Path, postgres_dsn: str, otlp_receiver: OtlpReceiver
) -> None:
    lease = "acme/logs_api"
    with tenant_fleet(tmp_path, postgres_dsn, otlp_receiver, 3) as (balancer, sims, replicas, _):
        # Every tenant's poller lease is held, one per replica (3 leases over 3 live replicas).
        assert wait_until(lambda: len(leases(replicas)) == len(TENANTS), 60), leases(replicas)
        assert wait_until(lambda: len({h for h, _ in leases(replicas).values()}) == 3, 60), leases(replicas)
        # The same log ids posted to two tenants' paths: each tenant queues its own copy.
        shared = items(3)
        for tenant in ("acme", "globex"):
            url = f"http://127.0.0.1:{balancer.port}/auth0/{tenant}/logs"
            assert post_items(url, as_array(shared), token=token_of(tenant)).status_code == 200
        assert wait_until(lambda: sum(len(sim_log_ids(sim)) for sim in sims.values()) >= 150, 60)

        first, epoch = leases(replicas)[lease]
        victim = next(r for r in replicas if r.name == first)
        survivors = [r for r in replicas if r is not victim]
        victim.process.kill()

        def taken_over() -> bool:
            entry = leases(survivors).get(lease)
            return entry is not None and entry[0] != first

        assert wait_until(taken_over, 60), leases(survivors)
        new_holder, new_epoch = leases(survivors)[lease]
        assert new_epoch > epoch
        # The status page of a survivor shows the new holder in the tenant's lease section.
        assert wait_until(lambda: status_holder(survivors[0], "acme", lease) == new_holder, 60)
        # After the kill, the three leases are held by the two survivors.
        assert wait_until(
            lambda: (
                {h for h, _ in leases(survivors).values()} <= {r.name for r in survivors}
                and len(leases(survivors)) == len(TENANTS)
            ),
            60,
        ), leases(survivors)

        expected: Counter[tuple[str, str, str]] = Counter()
        for tenant, sim in sims.items():
            assert wait_until(lambda sim=sim: int(sim_stats(sim)["generated"]) >= EVENTS, 120)
            domain = sim.info["domain"]
            expected.update((tenant, domain, log_id) for log_id in sim_log_ids(sim))
        for tenant in ("acme", "globex"):
            expected.update((tenant, sims[tenant].info["domain"], item["log_id"]) for item in shared)
        assert wait_until(lambda: set(expected) <= set(ids_by_tenant(otlp_receiver)), 120), (
            f"missing {len(set(expected) - set(ids_by_tenant(otlp_receiver)))} log ids"
        )
        # Every tenant's stream got through the balancer too (retried onto a live replica after the kill).
        assert wait_until(
            lambda: all(int(sim_stats(sim)["stream"]["delivered"]) >= EVENTS for sim in sims.values()), 120
        )
        streamed = {tenant: int(sim_stats(sim)["stream"]["delivered"]) for tenant, sim in sims.items()}
        query = sql.SQL("SELECT value FROM {}.otel_auth0_checkpoints WHERE name = 'logs_api.cursor'")
        with psycopg.connect(postgres_dsn) as conn:
            cursors = {
                tenant: conn.execute(query.format(sql.Identifier(f"otel_auth0_{tenant}"))).fetchone()
                for tenant in TENANTS
            }

    counts = ids_by_tenant(otlp_receiver)
    stray = [key for key in counts if key not in expected]
    lost = [key for key in expected if counts[key] == 0]
    duplicated = sum(counts[key] - 1 for key in expected if counts[key] > 1)
    print(
        f"\n3 tenants x 3 replicas behind one load balancer, kill -9 of {first} (holder of {lease}, "
        f"epoch {epoch}): taken over by {new_holder} (epoch {new_epoch}); "
        f"{len(expected)} log ids generated or posted, lost {len(lost)}, stray {len(stray)}, "
        f"duplicates at the OTLP receiver {duplicated} (bound: one batch of {BATCH_SIZE} per tenant queue); "
        f"stream delivered {streamed}; connections by replica {balancer.connections}"
    )
    assert lost == [] and stray == []
    # A killed replica can leave one claimed export batch per tenant's queue in flight.
    assert duplicated <= BATCH_SIZE * len(TENANTS)
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
                shown = {lease: status_holder(replica, lease.split("/")[0], lease) for lease in lease_names}
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
            back = start_replica(
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

        replicas = []
        for index in range(3):
            name, telemetry_port = f"r{index}", free_port()
            path = replica_config(tmp_path, name, postgres_dsn, sims, otlp_receiver, None, telemetry_port)
            process = stack.enter_context(running_collector(path, tmp_path / f"{name}.log", on_exit="kill"))
            replicas.append(Replica(name, process, telemetry_port, None))
        lease = "t0/logs_api"
        assert wait_until(lambda: len(leases(replicas)) == len(tenants), 60), leases(replicas)
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
