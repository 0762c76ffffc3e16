"""Nine tenants over three replicas against a real PostgreSQL, as ``otel-auth0 run`` with a ``tenants:``
list builds them: per replica one lease coordinator per tenant (its leases in the tenant's own schema)
in one :class:`LeaseShare`. Every tenant's leases spread over the replicas together, and after a
replica dies (its tasks cancelled: nothing released, its leases expire) they are all held again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.metrics import MeterProvider

from otel_auth0.config import Config
from otel_auth0.state.lease_runner import LeaseCoordinator, LeaseInstruments, LeaseShare
from otel_auth0.state.postgres_leases import PostgresLeases
from otel_auth0.state.postgres_queue import PostgresQueue

TENANTS = [f"tenant{n}" for n in range(9)]
RECEIVERS = ("logs_api", "status")
LEASE_TIME = 2.0
REPLICAS = 3


@pytest.fixture
def tenant_queues(postgres_dsn: str) -> Iterator[dict[str, PostgresQueue]]:
    """Each tenant's state in its own schema (shared by the replicas of this process's test)."""
    queues = {}
    for tenant in TENANTS:
        state = {"backend": "postgres", "dsn": postgres_dsn, "schema": f"otel_auth0_{tenant}", "pool_size": 2}
        queues[tenant] = PostgresQueue.from_config(Config.model_validate({"state": state}), 1)
    yield queues
    for queue in queues.values():
        queue.close()


def replica(queues: dict[str, PostgresQueue], name: str) -> list[LeaseCoordinator]:
    share = LeaseShare()
    meter = MeterProvider().get_meter("test")
    return [
        LeaseCoordinator(
            PostgresLeases(queue.pool, name, LEASE_TIME),
            [f"{tenant}/{receiver}" for receiver in RECEIVERS],
            LeaseInstruments(meter),
            share,
        )
        for tenant, queue in queues.items()
    ]


async def idle(stop: asyncio.Event) -> None:
    await stop.wait()


async def run_fleet(queues: dict[str, PostgresQueue]) -> tuple[list[int], list[int]]:
    replicas = [replica(queues, f"r{n}") for n in range(REPLICAS)]
    stops = [asyncio.Event() for _ in replicas]
    tasks: list[list[asyncio.Task[None]]] = []
    for coordinators, stop in zip(replicas, stops, strict=True):
        own = [asyncio.create_task(c.run(name, idle, stop)) for c in coordinators for name in c.names]
        own += [asyncio.create_task(c.heartbeat(stop)) for c in coordinators]
        tasks.append(own)
    total = len(TENANTS) * len(RECEIVERS)

    def held(coordinators: list[LeaseCoordinator]) -> int:
        return len(coordinators[0].share.held())

    async def settle(alive: list[list[LeaseCoordinator]], most: int) -> list[int]:
        for _ in range(600):  # up to a minute, in steps of 0.1 s
            counts = [held(r) for r in alive]
            if sum(counts) == total and max(counts) <= most:
                return counts
            await asyncio.sleep(0.1)
        return [held(r) for r in alive]

    spread = await settle(replicas, total // REPLICAS)
    for task in tasks[0]:  # replica r0 dies: nothing released, its leases expire
        task.cancel()
    await asyncio.gather(*tasks[0], return_exceptions=True)
    after = await settle(replicas[1:], total // (REPLICAS - 1))
    for stop in stops[1:]:
        stop.set()
    await asyncio.gather(*(task for own in tasks[1:] for task in own))
    return spread, after


def test_nine_tenants_leases_spread_over_three_replicas_and_are_all_held_again_after_one_dies(
    tenant_queues: dict[str, PostgresQueue],
) -> None:
    spread, after = asyncio.run(run_fleet(tenant_queues))
    total = len(TENANTS) * len(RECEIVERS)
    print(
        f"\n{len(TENANTS)} tenants x {len(RECEIVERS)} leases over 3 replicas: {spread}; "
        f"after one died: {after}"
    )
    assert sorted(spread) == [total // 3] * 3
    assert sum(after) == total and max(after) <= total // 2
    # Each tenant's leases are in its own schema, none in another's.
    for tenant, queue in tenant_queues.items():
        names = {h.name for h in PostgresLeases(queue.pool, "reader", LEASE_TIME).holdings()}
        assert names == {f"{tenant}/{receiver}" for receiver in RECEIVERS}
