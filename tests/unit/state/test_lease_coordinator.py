"""Lease coordinators of several replicas against a real PostgreSQL: leases spread over the live replicas
(at most ``ceil(leases / replicas)`` each), move when a replica stops, and every job runs on exactly one
replica at a time, with the lease's fence in its context."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.metrics import MeterProvider

from otel_auth0.config import Config
from otel_auth0.state.fencing import CURRENT_FENCE
from otel_auth0.state.lease_runner import LeaseCoordinator, LeaseInstruments
from otel_auth0.state.postgres_leases import PostgresLeases
from otel_auth0.state.postgres_queue import PostgresQueue

LEASES = [f"tenant{n}/logs_api" for n in range(9)]
LEASE_TIME = 2.0
TELEMETRY_DOC = Path(__file__).parents[3] / "docs" / "telemetry.md"


@pytest.fixture
def queue(postgres_dsn: str) -> Iterator[PostgresQueue]:
    config = Config.model_validate({"state": {"backend": "postgres", "dsn": postgres_dsn}})
    backend = PostgresQueue.from_config(config, 1)
    yield backend
    backend.close()


def coordinator(queue: PostgresQueue, name: str) -> LeaseCoordinator:
    book = PostgresLeases(queue.pool, name, LEASE_TIME)
    return LeaseCoordinator(book, LEASES, LeaseInstruments(MeterProvider().get_meter("test")))


async def run_fleet(queue: PostgresQueue) -> tuple[list[int], list[int], dict[str, set[str]]]:
    replicas = [coordinator(queue, f"r{n}") for n in range(3)]
    stops = [asyncio.Event() for _ in replicas]
    running: dict[str, set[str]] = {name: set() for name in LEASES}  # lease -> replicas running it now
    overlaps: dict[str, set[str]] = {}

    def job(lease: str, replica: str):  # type: ignore[no-untyped-def]
        async def work(stop: asyncio.Event) -> None:
            fence = CURRENT_FENCE.get()
            assert fence is not None and fence.lease == lease and fence.holder == replica
            running[lease].add(replica)
            if len(running[lease]) > 1:
                overlaps[lease] = set(running[lease])
            try:
                await stop.wait()
            finally:
                running[lease].discard(replica)

        return work

    tasks = [
        asyncio.create_task(replica.run(lease, job(lease, replica.book.holder), stops[index]))
        for index, replica in enumerate(replicas)
        for lease in LEASES
    ]
    tasks += [asyncio.create_task(replica.heartbeat(stops[i])) for i, replica in enumerate(replicas)]

    async def settle(alive: list[LeaseCoordinator], share: int) -> list[int]:
        for _ in range(600):  # up to a minute, in steps of 0.1 s
            counts = [len(r.held) for r in alive]
            if sum(counts) == len(LEASES) and max(counts) <= share:
                return counts
            await asyncio.sleep(0.1)
        return [len(r.held) for r in alive]

    spread = await settle(replicas, 3)
    stops[0].set()  # replica r0 stops (SIGTERM): it releases its leases at once
    after = await settle(replicas[1:], 5)
    for stop in stops:
        stop.set()
    await asyncio.gather(*tasks)
    return spread, after, overlaps


def test_leases_spread_over_replicas_and_move_when_one_stops(queue: PostgresQueue) -> None:
    spread, after, overlaps = asyncio.run(run_fleet(queue))
    print(f"\n9 leases over 3 replicas: {spread}; after one stopped: {after}")
    assert sorted(spread) == [3, 3, 3]
    assert sum(after) == 9 and max(after) <= 5
    assert overlaps == {}  # no job ever ran on two replicas at once


@pytest.mark.parametrize(
    "name",
    sorted(
        getattr(value, "name", "")
        for value in vars(LeaseInstruments(MeterProvider().get_meter("doc"))).values()
    ),
)
def test_lease_metrics_are_documented(name: str) -> None:
    assert f"`{name}`" in TELEMETRY_DOC.read_text(encoding="utf-8")
