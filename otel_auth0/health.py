"""The collector's readiness: why ``/readyz`` answers 503, from facts about exporters, queue and receivers.

The model only reads facts through :class:`HealthFacts`, so any runtime (or a test) can supply them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from otel_auth0.config import HealthConfig

# A polling receiver counts as stale after this many of its intervals without success (at least
# ``telemetry.health.receiver_stale_after``).
STALE_INTERVALS = 3
# The readiness reason when the queue's store cannot be written: the file (SQLite) or the state database.
QUEUE_FILE_PROBLEM = "queue file cannot be written"
STATE_DATABASE_PROBLEM = "state database unreachable or failing"


@dataclass(frozen=True)
class ExporterState:
    """``failing_since``: UNIX time of the first failure since the last success, or None;
    ``announced_wait``: while the exporter waits out a delay the backend asked for (``Retry-After`` /
    ``RetryInfo``), the UNIX time it ends and its length in seconds."""

    name: str
    failing_since: float | None
    announced_wait: tuple[float, float] | None = None


@dataclass(frozen=True)
class ReceiverState:
    """``last_success``: UNIX time, or None before the first; ``stale_after``: None when not checked;
    ``crashed``: the supervisor's restart is pending after ``last_error``, ``restarts`` so far."""

    name: str
    last_success: float | None
    stale_after: float | None
    crashed: bool = False
    restarts: int = 0
    last_error: str | None = None
    setup_problem: str | None = None


@dataclass(frozen=True)
class QueueState:
    """Records in the persistent queue and its capacity (``queue.max_items``); why its store cannot be
    written, if it cannot (``database``: the state database of ``state.backend: postgres``, else the
    queue file, e.g. on a full disk); its payload bytes and their cap (``queue.max_bytes``)."""

    size: int
    capacity: int
    storage_error: str | None = None
    stored_bytes: int = 0
    capacity_bytes: int | None = None
    database: bool = False

    @property
    def fill_ratio(self) -> float:
        """The fuller of the two caps: records of ``max_items`` and bytes of ``max_bytes``."""
        ratio = self.size / self.capacity if self.capacity else 0.0
        if self.capacity_bytes:
            ratio = max(ratio, self.stored_bytes / self.capacity_bytes)
        return ratio


class HealthFacts(Protocol):
    """What the health model needs to know about the running collector."""

    def exporters(self) -> Sequence[ExporterState]:
        """Each exporter's state."""

    def receivers(self) -> Sequence[ReceiverState]:
        """Each receiver's state."""

    def queue(self) -> QueueState:
        """The queue's fill."""


def receiver_stale_after(config: HealthConfig, interval: float | None) -> float | None:
    """How long a receiver polling every ``interval`` may go without success (None: not checked)."""
    if interval is None:
        return None
    return max(config.receiver_stale_after, STALE_INTERVALS * interval)


class HealthModel:
    """Turns facts into readiness reasons (empty = ready)."""

    def __init__(self, config: HealthConfig, facts: HealthFacts, started_at: float | None = None) -> None:
        self._config = config
        self._facts = facts
        self.started_at = time.time() if started_at is None else started_at
        self.stopping = False
        # On a fleet: every lease and its holder, shown by /readyz.
        self.leases: Callable[[], list[dict[str, object]]] | None = None

    def reasons(self, now: float | None = None) -> list[str]:
        """Why the collector is not ready; one human-readable line each."""
        now = time.time() if now is None else now
        reasons = ["shutting down: draining the queue"] if self.stopping else []
        limit = self._config.exporter_failing_for
        for exporter in self._facts.exporters():
            if exporter.failing_since is not None and now - exporter.failing_since >= limit:
                reasons.append(
                    f"exporter {exporter.name} has been failing for {now - exporter.failing_since:.0f}s "
                    f"(threshold {limit:.0f}s)"
                )
            if exporter.announced_wait is not None and exporter.announced_wait[1] > limit:
                until, length = exporter.announced_wait
                left = max(0.0, until - now)
                reasons.append(
                    f"exporter {exporter.name} waits {length:.0f}s before its next attempt as the backend "
                    f"asked ({left:.0f}s left; longer than exporter_failing_for {limit:.0f}s)"
                )
        queue = self._facts.queue()
        if queue.fill_ratio >= self._config.queue_high_water:
            of_bytes = (
                f", {queue.stored_bytes} of {queue.capacity_bytes} bytes" if queue.capacity_bytes else ""
            )
            reasons.append(
                f"queue holds {queue.size} of {queue.capacity} records{of_bytes}, above the high-water mark "
                f"({self._config.queue_high_water:.0%})"
            )
        if queue.storage_error is not None:
            store = STATE_DATABASE_PROBLEM if queue.database else QUEUE_FILE_PROBLEM
            reasons.append(f"{store}: {queue.storage_error}")
        for receiver in self._facts.receivers():
            if receiver.crashed:
                reasons.append(
                    f"receiver {receiver.name} failed ({receiver.last_error}) and is waiting to be restarted "
                    f"(restarted {receiver.restarts} times so far)"
                )
            if receiver.setup_problem is not None:
                reasons.append(f"receiver {receiver.name} cannot collect: {receiver.setup_problem}")
            if receiver.stale_after is None:
                continue
            since = receiver.last_success if receiver.last_success is not None else self.started_at
            if now - since >= receiver.stale_after:
                reasons.append(
                    f"receiver {receiver.name} has had no success for {now - since:.0f}s "
                    f"(threshold {receiver.stale_after:.0f}s)"
                )
        return reasons
