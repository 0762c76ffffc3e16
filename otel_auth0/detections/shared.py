"""A fleet's detections, evaluated in one place per tenant: the replica that holds the tenant's
``detections`` lease.

On PostgreSQL every replica's intake stores what the rules must see in the detection inbox, in the
transaction that enqueues the events, so an event counts exactly when it is queued, whichever replica
took it (the Log Stream is served by all of them). :class:`SharedDetections` runs under the lease: it
loads the window state, then over and over takes the oldest inbox entries, runs the rules and commits
the consumed entries, the changed windows and the detections' telemetry in one fenced transaction
(:class:`~otel_auth0.state.postgres_detections.PostgresDetections`). Detections are logged, counted and
listed only once committed. After a failed commit the engine in memory is ahead of the database, so
the job loads the stored state again before going on; a replica that lost the lease cannot commit at
all, and the next holder starts from the last commit: no detection twice, no event counted twice or
lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from otel_auth0.backoff import Backoff
from otel_auth0.detections.inbox import decode
from otel_auth0.detections.output import SCOPE
from otel_auth0.detections.processor import DetectionProcessor
from otel_auth0.instruments import Instruments
from otel_auth0.scheduler import sleep_or_stop
from otel_auth0.state.postgres_detections import GROUPS, PostgresDetections
from otel_auth0.state.queue import QueueFull

log = logging.getLogger(__name__)

TAKE = 500  # inbox entries per step
POLL_INTERVAL = 0.5  # seconds between looks at an empty inbox
TICK_INTERVAL = 5.0  # absence rules and idle groups, as often as a single process's housekeeping
INBOX = "otel_auth0_detection_inbox"


class SharedDetections:
    """The detections job of one tenant (run by the lease runner while this replica holds the lease)."""

    def __init__(
        self,
        processor: DetectionProcessor,
        store: PostgresDetections,
        instruments: Instruments,
        on_enqueued: Callable[[], None] = lambda: None,
    ) -> None:
        self.processor = processor
        self.store = store
        self._instruments = instruments
        self._on_enqueued = on_enqueued
        self._backoff = Backoff(1.0, 30.0)

    async def run(self, until: asyncio.Event) -> None:
        """Resume the stored window state and evaluate the inbox until ``until``; after a failure (the
        database, or the lease gone), wait with backoff and resume from the database again."""
        while not until.is_set():
            try:
                await self._hold(until)
                return
            except QueueFull as error:  # StorageError, Fenced
                log.warning("detections: %s; resuming from the stored window state", error)
            except Exception:
                log.exception("detections: evaluation failed; resuming from the stored window state")
            if await sleep_or_stop(until, self._backoff.next_delay()):
                return

    async def _hold(self, until: asyncio.Event) -> None:
        resumed = await asyncio.to_thread(self.resume)
        log.info("detections: evaluated on this replica, %d window states resumed", resumed)
        next_tick = time.monotonic() + TICK_INTERVAL
        while not until.is_set():
            tick = time.monotonic() >= next_tick
            if tick:
                next_tick = time.monotonic() + TICK_INTERVAL
            taken = await asyncio.to_thread(self.step, tick)
            self._backoff.reset()
            if taken < TAKE and await sleep_or_stop(until, POLL_INTERVAL):
                return

    def resume(self) -> int:
        """Load the stored window state into a fresh engine; how many windows resumed."""
        rows = self.store.load()
        skipped, self.store.skipped_rows = self.store.skipped_rows, 0
        if skipped:
            damage = {"otel_auth0.state_file": GROUPS, "otel_auth0.reason": "bad_row"}
            self._instruments.state_damaged.add(skipped, damage)
        return self.processor.resume(rows)

    def step(self, tick: bool = False) -> int:
        """Take the oldest inbox entries, run the rules (and with ``tick`` the absence rules), commit,
        then report what fired; how many entries were taken."""
        entries = self.store.take(TAKE)
        observed, bad = [], []
        for entry_id, text in entries:
            try:
                observed.append(decode(text))
            except ValueError as error:
                bad.append((entry_id, str(error)))
        step = self.processor.step(observed, tick)
        if not (entries or step.rows or step.removed or step.telemetry):
            return 0  # nothing to commit
        consumed = [entry_id for entry_id, _ in entries]
        refused = self.store.commit(consumed, step.rows, step.removed, step.telemetry, SCOPE)
        self.processor.report(step.detections)
        if bad:
            log.error("detection inbox: %d entries that are not observations skipped: %s", len(bad), bad[:5])
            damage = {"otel_auth0.state_file": INBOX, "otel_auth0.reason": "bad_row"}
            self._instruments.state_damaged.add(len(bad), damage)
        if refused is not None:
            self._instruments.queue_refused.add(1, {"otel_auth0.receiver": "detections"})
            log.warning("%d detections not queued: %s", len(step.telemetry), refused)
        elif step.telemetry:
            self._on_enqueued()
        return len(entries)

    def backlog(self) -> int:
        """Inbox entries waiting for the lease holder."""
        return self.store.backlog()
