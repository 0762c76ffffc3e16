"""Each tenant's detections lease spreads over the replicas as a set of its own, apart from the pollers'
(real PostgreSQL; per replica one share as ``tenants:`` builds it, each tenant's detections coordinator
built by :func:`~otel_auth0.fleet.build_detections_coordinator`): three tenants on three replicas end
with one poller and one detections lease on every replica, never two pollers on one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.metrics import MeterProvider

from otel_auth0.config import Config
from otel_auth0.fleet import build_detections_coordinator
from otel_auth0.state.lease_runner import LeaseCoordinator, LeaseInstruments, LeaseShare
from otel_auth0.state.postgres_leases import PostgresLeases
from otel_auth0.state.postgres_queue import PostgresQueue

TENANTS = ("acme", "globex", "initech")
LEASE_TIME = 2.0


@pytest.fixture
def queue(postgres_dsn: str) -> Iterator[PostgresQueue]:
    config = Config.model_validate({"state": {"backend": "postgres", "dsn": postgres_dsn}})
    backend = PostgresQueue.from_config(config, 1)
    yield backend
    backend.close()


def replica(queue: PostgresQueue, name: str) -> list[tuple[LeaseCoordinator, LeaseCoordinator]]:
    """Per tenant: its receivers' coordinator and its detections coordinator, in one replica's share."""
    share, meter = LeaseShare(), MeterProvider().get_meter("test")
    out = []
    for tenant in TENANTS:
        config = Config.model_validate({"auth0": {"domain": f"{tenant}.us.auth0.com"}})
        book = PostgresLeases(queue.pool, name, LEASE_TIME)
        pollers = LeaseCoordinator(book, [f"{tenant}/logs_api"], LeaseInstruments(meter), share)
        out.append((pollers, build_detections_coordinator(config, pollers)))
    return out


async def idle(stop: asyncio.Event) -> None:
    await stop.wait()


async def spread(queue: PostgresQueue) -> list[tuple[int, int]]:
    replicas = [replica(queue, f"r{n}") for n in range(3)]
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(coordinator.run(name, idle, stop))
        for tenants in replicas
        for pair in tenants
        for coordinator in pair
        for name in coordinator.names
    ]
    tasks += [asyncio.create_task(pollers.heartbeat(stop)) for tenants in replicas for pollers, _ in tenants]

    def held() -> list[tuple[int, int]]:
        """(poller leases, detections leases) held by each replica."""
        return [(len(tenants[0][0].share.held()), len(tenants[0][1].share.held())) for tenants in replicas]

    for _ in range(600):  # up to a minute, in steps of 0.1 s
        if held() == [(1, 1)] * 3:
            break
        await asyncio.sleep(0.1)
    found = held()
    stop.set()
    await asyncio.gather(*tasks)
    return found


def test_detections_leases_spread_apart_from_the_pollers(queue: PostgresQueue) -> None:
    found = asyncio.run(spread(queue))
    print(f"\n3 tenants (a poller and detections each) over 3 replicas: (pollers, detections) held {found}")
    assert found == [(1, 1)] * 3
