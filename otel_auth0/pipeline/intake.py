"""The front door every receiver uses: normalised events → conversion → dedupe + persistent queue,
with the event metrics counted once per event actually enqueued."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from otel_auth0.convert.events import Event
from otel_auth0.convert.mapping import Converted, EventConverter
from otel_auth0.instruments import Instruments
from otel_auth0.pipeline.checkpoints import Checkpoint
from otel_auth0.pipeline.event_metrics import EventMetrics
from otel_auth0.pipeline.queue import EnqueueResult, PersistentQueue

LOGS_SCOPE = "otel_auth0.auth0_logs"


class Intake:
    """Converts and enqueues; raises :class:`~otel_auth0.pipeline.queue.QueueFull` without side effects."""

    def __init__(
        self,
        queue: PersistentQueue,
        converter: EventConverter,
        instruments: Instruments,
        on_enqueued: Callable[[], None] = lambda: None,
    ) -> None:
        self.queue = queue
        self.converter = converter
        self.instruments = instruments
        self._event_metrics = EventMetrics(instruments, converter.telemetry)
        self._on_enqueued = on_enqueued
        self.accepted_total = 0
        self.duplicates_total = 0

    def submit_events(
        self,
        events: Sequence[Event],
        receiver: str,
        checkpoint: tuple[str, str] | None = None,
    ) -> EnqueueResult:
        """Convert ``events`` and enqueue them (with ``checkpoint``) in one transaction."""
        observed = time.time_ns()
        converted = [self.converter.convert(event, observed) for event in events]
        result = self.submit_converted(converted, LOGS_SCOPE, checkpoint)
        self._count(converted, result, receiver, observed)
        return result

    def submit_converted(
        self, converted: Sequence[Converted], scope: str, checkpoint: tuple[str, str] | None = None
    ) -> EnqueueResult:
        """Enqueue already converted telemetry (probe, status and notices receivers)."""
        result = self.queue.enqueue(converted, scope, checkpoint)
        self.accepted_total += result.accepted
        self.duplicates_total += result.duplicates
        if result.accepted:
            self._on_enqueued()
        return result

    def get_checkpoint(self, name: str) -> Checkpoint | None:
        """A receiver's stored position, or ``None``."""
        return self.queue.get_checkpoint(name)

    def set_checkpoint(self, name: str, value: str) -> None:
        """Store a receiver's position outside an enqueue."""
        self.queue.set_checkpoint(name, value)

    def _count(
        self, converted: Sequence[Converted], result: EnqueueResult, receiver: str, observed_ns: int
    ) -> None:
        source = {"otel_auth0.receiver": receiver}
        if result.duplicates:
            self.instruments.receiver_duplicates.add(result.duplicates, source)
        if result.accepted:
            self.instruments.receiver_events.add(result.accepted, source)
        accepted = [
            facts for index in result.accepted_indices if (facts := converted[index].facts) is not None
        ]
        self._event_metrics.record_batch(accepted)
        newest = max((facts.time_ns or 0 for facts in accepted), default=0)
        if newest:
            self.instruments.ingest_lag.set(max(0.0, (observed_ns - newest) / 1e9), source)
