"""Singleton work under leases: each tenant's pollers, probe, endpoint check, status and notice watchers
run on one replica at a time.

:class:`LeaseCoordinator` runs every singleton job of this replica in a loop: acquire its lease (only
while this replica holds no more than its fair share, ``ceil(leases / live replicas)``), run the job
with the lease's :class:`~otel_auth0.state.fencing.Fence` in its context (so every write it makes is
fenced), renew every third of the lease time, and stop the job when the lease is lost, when it cannot
be renewed for most of a lease time, when this replica holds more than its share (it sheds one lease,
so leases spread when replicas join), or on shutdown, when it releases the lease at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from opentelemetry.metrics import Meter

from otel_auth0.state.fencing import CURRENT_FENCE, Fence

log = logging.getLogger(__name__)

Work = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class LeaseHolding:
    """One lease as the database sees it."""

    name: str
    holder: str
    epoch: int
    seconds_left: float


class LeaseBook(Protocol):
    """Where leases are kept (:class:`~otel_auth0.state.postgres_leases.PostgresLeases`); every method
    may raise :class:`~otel_auth0.state.queue.StorageError`."""

    holder: str
    lease_time: float

    def heartbeat(self) -> int:
        """Announce this replica; how many are live."""

    def leave(self) -> None:
        """This replica stops."""

    def acquire(self, name: str) -> int | None:
        """The new epoch, or ``None`` when another replica holds ``name``."""

    def seconds_left(self, name: str) -> float:
        """Seconds until another replica's ``name`` expires (0 when free or expired)."""

    def renew(self, name: str, epoch: int) -> bool:
        """False when ``name`` is no longer this replica's at ``epoch``."""

    def release(self, name: str, epoch: int) -> None:
        """Give ``name`` up at once."""

    def holdings(self) -> list[LeaseHolding]:
        """Every lease and who holds it."""


class LeaseInstruments:
    """``otel_auth0.lease.*`` (docs/telemetry.md), by ``otel_auth0.lease``."""

    def __init__(self, meter: Meter) -> None:
        self.held = meter.create_gauge(
            "otel_auth0.lease.held", unit="{lease}", description="1 while this replica holds the lease"
        )
        self.acquisitions = meter.create_counter(
            "otel_auth0.lease.acquisitions", unit="{lease}", description="Leases this replica acquired"
        )
        self.losses = meter.create_counter(
            "otel_auth0.lease.losses",
            unit="{lease}",
            description="Leases this replica lost (taken over, or not renewable in time)",
        )
        self.fenced_commits = meter.create_counter(
            "otel_auth0.lease.fenced_commits",
            unit="{transaction}",
            description="Writes refused because their lease had moved on (fencing)",
        )


class LeaseShare:
    """The coordinators of one replica that spread their leases as one set: every tenant's of a
    ``tenants:`` list, so a replica's fair share counts all of its tenants' leases together. Jobs of
    another kind (each tenant's detections) spread as a set of their own (:meth:`kind`), so they never
    crowd the pollers onto fewer replicas."""

    def __init__(self) -> None:
        self.members: list[LeaseCoordinator] = []
        self._kinds: dict[str, LeaseShare] = {}

    def kind(self, name: str) -> LeaseShare:
        """The share of the jobs of kind ``name`` (the same one for every tenant of this replica)."""
        return self._kinds.setdefault(name, LeaseShare())

    def names(self) -> int:
        """How many leases the members run, together."""
        return sum(len(member.names) for member in self.members)

    def held(self) -> list[str]:
        """The leases this replica holds now, over every member."""
        return [name for member in self.members for name in member.held]


class LeaseCoordinator:
    """Runs this replica's share of the singleton jobs named ``names`` (with ``share``: of the jobs of
    every coordinator in it); with ``heartbeats``, counting the live replicas that coordinator's
    heartbeat finds instead of running one of its own."""

    def __init__(
        self,
        book: LeaseBook,
        names: Sequence[str],
        instruments: LeaseInstruments,
        share: LeaseShare | None = None,
        heartbeats: LeaseCoordinator | None = None,
    ) -> None:
        self.book = book
        self.names = tuple(names)
        self.instruments = instruments
        self.share = share if share is not None else LeaseShare()
        self.share.members.append(self)
        self.held: dict[str, int] = {}  # lease -> epoch, while held
        self._heartbeats = heartbeats
        self.live = 1
        self.reachable = True
        self._interval = book.lease_time / 3
        for name in self.names:  # every series exists from the start, at zero
            only = {"otel_auth0.lease": name}
            instruments.acquisitions.add(0, only)
            instruments.losses.add(0, only)
            instruments.fenced_commits.add(0, only)
            instruments.held.set(0, only)

    def _coordinator(self) -> LeaseCoordinator:
        """The coordinator whose heartbeat counts the live replicas (this one, or the one it shares)."""
        return self._heartbeats if self._heartbeats is not None else self

    def fair_share(self) -> int:
        """The most leases this replica should hold: ``ceil(leases / live replicas)``, over the share."""
        return max(1, math.ceil(self.share.names() / max(1, self._coordinator().live)))

    def _wait(self) -> float:
        return self._interval * random.uniform(0.8, 1.0)

    async def heartbeat(self, stop: asyncio.Event) -> None:
        """Announce this replica every sixth of the lease time until ``stop`` (each announcement lasts
        four of them); then leave."""
        while not stop.is_set():
            try:
                self.live = await asyncio.to_thread(self.book.heartbeat)
                self.reachable = True
            except Exception as error:
                self.reachable = False
                log.warning("leases: cannot announce this replica: %s", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._wait() / 2)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.book.leave)

    def _record_held(self) -> None:
        for name in self.names:
            self.instruments.held.set(1 if name in self.held else 0, {"otel_auth0.lease": name})

    async def run(self, name: str, work: Work, stop: asyncio.Event) -> None:
        """Hold ``name`` whenever this replica may and can, running ``work`` while it does, until ``stop``."""
        self._record_held()
        while not stop.is_set():
            epoch: int | None = None
            wait = self._wait() / 2  # over its share: look again when the next heartbeat may have changed it
            if len(self.share.held()) < self.fair_share():
                wait = self._wait()
                try:
                    epoch = await asyncio.to_thread(self.book.acquire, name)
                    if epoch is None:  # held elsewhere: try again the moment it would expire
                        left = await asyncio.to_thread(self.book.seconds_left, name)
                        wait = min(wait, left + 0.05)
                except Exception as error:
                    log.warning("leases: cannot acquire %s: %s", name, error)
            if epoch is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
                continue
            self.held[name] = epoch
            self.instruments.acquisitions.add(1, {"otel_auth0.lease": name})
            self._record_held()
            log.info("leases: %s acquired by %s (epoch %d)", name, self.book.holder, epoch)
            try:
                lost = await self._hold(name, epoch, work, stop)
            finally:
                del self.held[name]
                self._record_held()
            if lost:
                self.instruments.losses.add(1, {"otel_auth0.lease": name})
                log.warning("leases: %s lost by %s (epoch %d)", name, self.book.holder, epoch)

    async def _hold(self, name: str, epoch: int, work: Work, stop: asyncio.Event) -> bool:
        """Run ``work`` under the lease until it must end; True when the lease was lost."""
        inner = asyncio.Event()
        token = CURRENT_FENCE.set(Fence(name, self.book.holder, epoch))
        try:
            task = asyncio.create_task(work(inner), name=f"lease:{name}")  # inherits the fence
        finally:
            CURRENT_FENCE.reset(token)
        renewed = time.monotonic()
        lost = shed = False
        stopping = asyncio.create_task(stop.wait())
        try:
            while not task.done() and not stop.is_set():
                await asyncio.wait({task, stopping}, timeout=self._interval)
                if task.done() or stop.is_set():
                    break
                held = self.share.held()
                if len(held) > self.fair_share() and name == max(held):
                    shed = True  # another replica joined: give one lease up so they spread
                    break
                try:
                    if await asyncio.to_thread(self.book.renew, name, epoch):
                        renewed = time.monotonic()
                    else:
                        lost = True
                        break
                except Exception as error:
                    log.warning("leases: cannot renew %s: %s", name, error)
                    if time.monotonic() - renewed > self.book.lease_time * 0.8:
                        lost = True  # it may have expired: stop before another holder starts
                        break
        finally:
            stopping.cancel()
            inner.set()
            with contextlib.suppress(Exception):
                await task
        if not lost:
            try:
                await asyncio.to_thread(self.book.release, name, epoch)
                why = " (rebalancing)" if shed else ""
                log.info("leases: %s released by %s%s", name, self.book.holder, why)
            except Exception as error:
                log.warning("leases: %s not released (it expires by itself): %s", name, error)
        return lost

    def holdings(self) -> list[LeaseHolding]:
        """Every lease and its holder (for the status page); empty when the database cannot be read."""
        try:
            return self.book.holdings()
        except Exception:
            return []
