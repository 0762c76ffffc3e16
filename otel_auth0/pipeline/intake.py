"""The front door every receiver uses: normalised events → conversion → dedupe + persistent queue,
with the event metrics counted once per event actually enqueued; the events enqueued (never a
duplicate) then go through the detection processor, whose detections are enqueued right after. With a
shared processor (PostgreSQL) they go instead into the state database's detection inbox, in the
transaction that enqueues them, for the holder of the detections lease
(:mod:`otel_auth0.detections.shared`).

An event that cannot be converted (or that a receiver found malformed) never stops its batch: it is
parked in the queue's ``dead_letters`` table with its reason, in the transaction that enqueues the
rest, counted in ``otel_auth0.receiver.rejected_events`` and logged once at WARNING with its log id.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence

from otel_auth0.convert import cloudevents
from otel_auth0.convert.events import Event, parse_time_ns
from otel_auth0.convert.mapping import Converted, EventConverter
from otel_auth0.detections.engine import Observed
from otel_auth0.detections.inbox import encode
from otel_auth0.detections.output import SCOPE as DETECTIONS_SCOPE
from otel_auth0.detections.processor import DetectionProcessor
from otel_auth0.instruments import Instruments
from otel_auth0.pipeline.event_metrics import EventMetrics
from otel_auth0.state.backend import StateBackend
from otel_auth0.state.checkpoints import Checkpoint
from otel_auth0.state.queue import EnqueueResult, InboxEntry, ParkedEvent, QueueFull

log = logging.getLogger(__name__)

LOGS_SCOPE = "otel_auth0.auth0_logs"
CONVERSION_FAILED = "conversion_failed"


def park(receiver: str, item: object, reason: str, detail: str) -> ParkedEvent:
    """A :class:`ParkedEvent` for ``item`` (kept as JSON, lone surrogates escaped; an item that cannot
    be serialised at all, nested too deeply, keeps its log id and the reason)."""
    log_id = item.get("log_id") if isinstance(item, dict) else None
    if log_id is None and isinstance(item, dict) and isinstance(item.get("data"), dict):
        log_id = item["data"].get("log_id")
    try:
        text = json.dumps(item, default=str, ensure_ascii=True)
    except (ValueError, TypeError, RecursionError) as error:
        problem = f"{type(error).__name__}: {error}"
        text = json.dumps({"log_id": log_id, "unserialisable": problem}, default=str)
    return ParkedEvent(receiver, str(log_id) if log_id is not None else None, reason, detail, text)


class Intake:
    """Converts and enqueues; raises :class:`~otel_auth0.state.queue.QueueFull` without side effects."""

    def __init__(
        self,
        queue: StateBackend,
        converter: EventConverter,
        instruments: Instruments,
        on_enqueued: Callable[[], None] = lambda: None,
        detector: DetectionProcessor | None = None,
    ) -> None:
        self.queue = queue
        self.converter = converter
        self.instruments = instruments
        self._event_metrics = EventMetrics(instruments, converter.telemetry)
        self._on_enqueued = on_enqueued
        self.detector = detector
        self.accepted_total = 0
        self.duplicates_total = 0

    def submit_events(
        self,
        events: Sequence[Event],
        receiver: str,
        checkpoint: tuple[str, str] | None = None,
        parked: Sequence[ParkedEvent] = (),
    ) -> EnqueueResult:
        """Convert ``events`` and enqueue them (with ``checkpoint``) in one transaction; events that fail
        to convert are parked with ``parked`` (the receiver's malformed items) in that transaction."""
        observed = time.time_ns()
        converted: list[Converted] = []
        kept: list[Event] = []  # the events of ``converted``, index for index
        rejected = list(parked)
        for event in events:
            try:
                converted.append(self.converter.convert(event, observed))
            except Exception as error:  # one bad event must never stop the others
                rejected.append(park(receiver, event, CONVERSION_FAILED, f"{type(error).__name__}: {error}"))
                continue
            kept.append(event)
        seen = [
            Observed(
                kept[i],
                trace_id=converted[i].trace_id,
                span_id=converted[i].span_id,
                time_ns=facts.time_ns if (facts := converted[i].facts) is not None else None,
            )
            for i in range(len(converted) if self.detector is not None else 0)
        ]
        result = self._store(converted, LOGS_SCOPE, checkpoint, rejected, seen)
        self._count(converted, result, receiver, observed)
        self._report_parked(rejected)
        return result

    def submit_cloud_events(
        self, events: Sequence[Event], receiver: str, checkpoint: tuple[str, str] | None = None
    ) -> EnqueueResult:
        """Convert validated Auth0 Event Streams CloudEvents and enqueue them (deduplicated by event id)
        in one transaction; the new ones go to the detection rules as ``source: event_streams``."""
        observed = time.time_ns()
        converted: list[Converted] = []
        kept: list[Event] = []
        rejected: list[ParkedEvent] = []
        for event in events:
            try:
                converted.append(self.converter.convert_cloud_event(event, observed))
            except Exception as error:  # one bad event must never stop the others
                rejected.append(park(receiver, event, CONVERSION_FAILED, f"{type(error).__name__}: {error}"))
                continue
            kept.append(event)
        seen = [
            Observed(
                cloudevents.observed_view(event),
                source=cloudevents.SOURCE,
                time_ns=parse_time_ns(event.get("time")),
            )
            for event in (kept if self.detector is not None else ())
        ]
        result = self._store(converted, cloudevents.SCOPE, checkpoint, rejected, seen)
        source = {"otel_auth0.receiver": receiver}
        if result.duplicates:
            self.instruments.receiver_duplicates.add(result.duplicates, source)
        if result.accepted:
            self.instruments.receiver_events.add(result.accepted, source)
        self._report_parked(rejected)
        return result

    def submit_converted(
        self,
        converted: Sequence[Converted],
        scope: str,
        checkpoint: tuple[str, str] | None = None,
        observed: Sequence[Observed] = (),
        parked: Sequence[ParkedEvent] = (),
    ) -> EnqueueResult:
        """Enqueue already converted telemetry (probe, status and notices receivers) with ``parked``
        events; ``observed`` (e.g. a probe result) goes to the detection rules when any of it is new."""
        return self._store(converted, scope, checkpoint, parked, (), observed)

    def _store(
        self,
        converted: Sequence[Converted],
        scope: str,
        checkpoint: tuple[str, str] | None,
        parked: Sequence[ParkedEvent],
        seen: Sequence[Observed],
        observed: Sequence[Observed] = (),
    ) -> EnqueueResult:
        """Enqueue; then the detection rules see ``seen[i]`` when ``converted[i]`` was new, and
        ``observed`` when anything was (in the detection inbox of the same transaction when shared)."""
        detector = self.detector if seen or observed else None
        if detector is not None and detector.shared:
            inbox: list[InboxEntry] = [(i, encode(item)) for i, item in enumerate(seen)]
            inbox += [(None, encode(item)) for item in observed]
            result = self.queue.enqueue(converted, scope, checkpoint, parked, inbox)
        else:
            result = self.queue.enqueue(converted, scope, checkpoint, parked)
        self.accepted_total += result.accepted
        self.duplicates_total += result.duplicates
        if result.accepted:
            self._on_enqueued()
            if detector is not None and not detector.shared:
                self.detect([seen[i] for i in result.accepted_indices if i < len(seen)] + list(observed))
        return result

    def _report_parked(self, parked: Sequence[ParkedEvent]) -> None:
        for event in parked:
            attributes = {"otel_auth0.receiver": event.receiver, "otel_auth0.reason": event.reason}
            self.instruments.receiver_rejected_events.add(1, attributes)
            log.warning(
                "%s: event %s parked in the queue's dead_letters table (%s): %s",
                event.receiver,
                event.log_id or "(no log_id)",
                event.reason,
                event.detail[:200],
            )

    def get_checkpoint(self, name: str) -> Checkpoint | None:
        """A receiver's stored position, or ``None``."""
        return self.queue.get_checkpoint(name)

    def set_checkpoint(self, name: str, value: str) -> None:
        """Store a receiver's position outside an enqueue."""
        self.queue.set_checkpoint(name, value)

    def detect(self, observed: Sequence[Observed]) -> None:
        """Run the detection rules over ``observed`` and enqueue the detections."""
        if self.detector is not None:
            self._enqueue_detections(self.detector.observe(observed))

    def tick_detections(self) -> None:
        """Absence rules against the wall clock (housekeeping; a shared processor's lease holder ticks)."""
        if self.detector is not None and not self.detector.shared:
            self._enqueue_detections(self.detector.tick())

    def _enqueue_detections(self, items: Sequence[Converted]) -> None:
        if not items:
            return
        try:
            self.queue.enqueue(items, DETECTIONS_SCOPE)
        except QueueFull as full:
            self.instruments.queue_refused.add(1, {"otel_auth0.receiver": "detections"})
            log.warning("%d detections not queued: %s", len(items), full)
            return
        self._on_enqueued()

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
