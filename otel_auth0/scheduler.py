"""The one scheduler of every periodic receiver (login probe, endpoint check, status, notices, the
logs poller): a jittered interval between runs, backoff after an expected failure, and a prompt return
once ``stop`` is set. An unexpected exception is not handled here: it ends the run, and the
supervisor restarts the receiver with backoff and counts it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from otel_auth0.backoff import Backoff, jittered

log = logging.getLogger(__name__)

# A run returns ``None`` to wait the jittered interval, or the exact number of seconds to wait.
Tick = Callable[[], Awaitable[float | None]]


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` unless ``stop`` is set first; True when stopping."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=max(0.0, seconds))
    except TimeoutError:
        return False
    return True


def error_type(error: Exception) -> str:
    """The low-cardinality ``error.type`` of an expected failure (its ``error_type``, else its class)."""
    value = getattr(error, "error_type", None)
    return value if isinstance(value, str) and value else type(error).__name__


@dataclass
class Schedule:
    """How often one receiver runs and how its expected failures are retried.

    ``failure_wait`` overrides the wait after an expected failure (default: the next backoff delay);
    ``on_failure`` and ``on_success`` report each run's outcome."""

    name: str
    interval: float
    backoff: Backoff
    expected: tuple[type[Exception], ...] = ()
    on_failure: Callable[[Exception], None] = lambda error: None
    on_success: Callable[[], None] = lambda: None
    failure_wait: Callable[[Exception], float] | None = None

    async def run(self, tick: Tick, stop: asyncio.Event) -> None:
        """Call ``tick`` until ``stop``; expected failures back off, anything else propagates."""
        while not stop.is_set():
            try:
                requested = await tick()
            except self.expected as error:
                wait = self.failure_wait(error) if self.failure_wait else self.backoff.next_delay()
                self.on_failure(error)
                log.warning("%s: %s; retrying in %.1fs", self.name, error, wait)
            else:
                self.backoff.reset()
                self.on_success()
                wait = jittered(self.interval) if requested is None else requested
            if wait > 0 and await sleep_or_stop(stop, wait):
                return
