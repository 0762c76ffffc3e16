"""The periodic receivers (login probe, endpoint check, status, notices): one run loop, the
:class:`~otel_auth0.scheduler.Schedule`'s, for all of them; each states only its schedule (interval,
backoff, which failures are expected) and what one tick does."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod

from otel_auth0.scheduler import Schedule


class PeriodicReceiver(ABC):
    """A :class:`~otel_auth0.receivers.base.Receiver` whose work is one :meth:`tick` at a time on
    ``schedule``; nothing is held between ticks, so there is nothing to shut down."""

    name: str

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule

    async def run(self, stop: asyncio.Event) -> None:
        """Tick on the schedule until ``stop`` (expected failures back off, others reach the supervisor)."""
        await self.schedule.run(self.tick, stop)

    async def shutdown(self) -> None:  # noqa: B027 - a periodic receiver holds nothing between ticks
        """Nothing is held between ticks."""

    @abstractmethod
    async def tick(self) -> float | None:
        """One round of work: ``None`` to wait the jittered interval next, or the exact seconds to wait."""
