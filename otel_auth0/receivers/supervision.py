"""Supervision: a receiver whose ``run`` raises (or returns before stop) is restarted with backoff and
counted in ``otel_auth0.receiver.restarts``, while the other receivers keep working; each receiver's
state is kept in a :class:`ReceiverStatus` that health endpoints read."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from otel_auth0.backoff import Backoff
from otel_auth0.instruments import Instruments
from otel_auth0.scheduler import sleep_or_stop

log = logging.getLogger(__name__)

RESTART_INITIAL = 1.0
RESTART_MAXIMUM = 60.0


@dataclass
class ReceiverStatus:
    """One receiver's health: whether it is running, or failed and ``restarting`` (waiting for its
    restart), how often it was restarted, its last error and the UNIX time of its last success
    (``None`` before the first)."""

    running: bool = False
    restarting: bool = False
    restarts: int = 0
    last_error: str | None = None
    last_error_at: float | None = None
    last_success: float | None = None
    failing_since: float | None = None  # the first error after the last success (None before any)
    # A failure of the set-up (refused credentials, missing scope, unresolvable domain) until the next
    # success: ``/readyz`` names it at once instead of waiting for staleness.
    setup_problem: str | None = None

    def record_error(self, message: str) -> None:
        """Keep ``message`` as the last error (the first since the last success starts ``failing_since``)."""
        now = time.time()
        if self.last_error_at is None or (
            self.last_success is not None and self.last_success >= self.last_error_at
        ):
            self.failing_since = now
        self.last_error = message
        self.last_error_at = now


async def supervise(
    name: str,
    run: Callable[[asyncio.Event], Awaitable[None]],
    stop: asyncio.Event,
    status: ReceiverStatus,
    instruments: Instruments,
    backoff: Backoff | None = None,
) -> None:
    """Run ``run(stop)`` until ``stop``; restart it with backoff whenever it raises or returns early."""
    backoff = backoff or Backoff(RESTART_INITIAL, RESTART_MAXIMUM)
    source = {"otel_auth0.receiver": name}
    while not stop.is_set():
        started = time.time()
        status.running, status.restarting = True, False
        try:
            await run(stop)
        except Exception as error:
            failure = f"{type(error).__name__}: {error}"
            instruments.receiver_errors.add(1, {**source, "error.type": "internal"})
            log.exception("receiver %s failed", name)
        else:
            if stop.is_set():
                break
            failure = "ended before stop"
            log.error("receiver %s ended before stop", name)
        finally:
            status.running = False
        status.record_error(failure)
        status.restarting = True
        if status.last_success is not None and status.last_success >= started:
            backoff.reset()
        wait = backoff.next_delay()
        log.warning("receiver %s restarts in %.1fs", name, wait)
        if await sleep_or_stop(stop, wait):
            status.restarting = False
            break
        status.restarts += 1
        instruments.receiver_restarts.add(1, source)
