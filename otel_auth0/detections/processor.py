"""The detection processor of the live pipeline: engine + rules from the configuration + window state +
telemetry. With SQLite the intake hands it every event it enqueued (never a duplicate) and the
observations of the probe and notices receivers, and it returns the detections' telemetry to enqueue.
On PostgreSQL it is ``shared``: the intake stores those observations in the state database's inbox
instead, and the holder of the tenant's detections lease drives the processor from there
(:mod:`otel_auth0.detections.shared`), so a fleet keeps one window state per tenant."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from otel_auth0.config import Config
from otel_auth0.convert.attributes import STRING_FIELDS
from otel_auth0.convert.mapping import Converted
from otel_auth0.convert.wire import AttributeValue
from otel_auth0.detections.engine import Detection, DetectionEngine, Observed
from otel_auth0.detections.loader import load_rules
from otel_auth0.detections.output import to_telemetry
from otel_auth0.detections.slo import slo_status
from otel_auth0.instruments import Instruments
from otel_auth0.processors.redact import Redactor, build_redactor
from otel_auth0.state.detection_store import Row, StateStore

log = logging.getLogger(__name__)

STATE_FILE = "detections.sqlite3"
# How far an event's date may be ahead of its arrival before it counts at its arrival time instead.
MAX_AHEAD_SECONDS = 5.0

RECENT_DETECTIONS = 20


@dataclass(frozen=True, slots=True)
class Step:
    """What one step of a shared processor found: detections (not yet reported), their telemetry and the
    window changes, to commit together."""

    detections: list[Detection]
    telemetry: list[Converted]
    rows: list[Row]
    removed: list[tuple[str, str]]


class DetectionProcessor:
    """Thread-safe; with a ``store``, window state saved every ``save_interval`` and by :meth:`close`;
    ``shared``: evaluated by the lease holder (:meth:`resume`, :meth:`step`, :meth:`report`)."""

    def __init__(
        self,
        engine: DetectionEngine,
        instruments: Instruments,
        store: StateStore | None = None,
        save_interval: float = 5.0,
        with_spans: bool = True,
        redactor: Redactor | None = None,
        shared: bool = False,
    ) -> None:
        self.engine = engine
        self.shared = shared
        self._instruments = instruments
        self._store = store
        self._save_interval = save_interval
        self._with_spans = with_spans
        self._redactor = redactor
        self._lock = threading.Lock()
        self._last_save = time.monotonic()
        self._shed_reported = engine.stats.shed
        #: the last detections for the status page: (time, rule id, title, severity, count), no group
        self.recent: deque[tuple[float, str, str, str, int]] = deque(maxlen=RECENT_DETECTIONS)
        if store is not None:
            loaded = engine.restore(store.load(), time.time())
            if loaded:
                log.info("detections: resumed %d window states", loaded)

    def observe(self, observed: Sequence[Observed]) -> list[Converted]:
        """Run the rules over ``observed``; the telemetry of what fired."""
        now = time.time()
        with self._lock:
            detections = self._process(observed, now)
            self._maybe_save()
        return self._emit(detections)

    def tick(self) -> list[Converted]:
        """Absence rules against the wall clock; forget idle groups; save when due."""
        with self._lock:
            detections = self.engine.tick(time.time())
            self._maybe_save()
        return self._emit(detections)

    def _process(self, observed: Sequence[Observed], now: float) -> list[Detection]:
        detections: list[Detection] = []
        for item in observed:
            detections.extend(self.engine.process(item, now))
        return detections

    def resume(self, rows: Sequence[Row]) -> int:
        """Start again from ``rows`` with a fresh engine (same rules and limits): what a new holder of the
        detections lease, or one whose commit failed, does before its next step; how many resumed."""
        with self._lock:
            old = self.engine
            self.engine = DetectionEngine(
                list(old.rules.values()), old.max_groups, old.max_refs, old.max_ahead
            )
            self._shed_reported = 0
            return self.engine.restore(rows, time.time())

    def step(self, observed: Sequence[Observed], tick: bool) -> Step:
        """Run the rules over ``observed`` (then, with ``tick``, the absence rules against the wall clock
        and the forgetting of idle groups); nothing is reported until :meth:`report`."""
        now = time.time()
        with self._lock:
            detections = self._process(observed, now)
            if tick:
                detections.extend(self.engine.tick(now))
            rows, removed = self.engine.changes()
        return Step(detections, self.telemetry(detections), rows, removed)

    def _emit(self, detections: list[Detection]) -> list[Converted]:
        self.report(detections)
        return self.telemetry(detections)

    def telemetry(self, detections: Sequence[Detection]) -> list[Converted]:
        """The log records (and spans) of ``detections``, group values redacted."""
        return [to_telemetry(self._redacted(detection), self._with_spans) for detection in detections]

    def report(self, detections: Sequence[Detection]) -> None:
        """Log, count and list ``detections`` (and groups shed at ``max_groups``) for the status page."""
        for detection in detections:
            reason = detection.escalation
            escalated = reason and f"; ESCALATED to {detection.severity}: {reason}"
            log.warning(
                "detection %s %s: %d events%s", detection.rule.id, detection.group, detection.count, escalated
            )
            rule = detection.rule
            self.recent.append((detection.time, rule.id, rule.title, detection.severity, detection.count))
            self._instruments.detections.add(
                1,
                {
                    "auth0.detection.rule.id": detection.rule.id,
                    "auth0.detection.severity": detection.severity,
                },
            )
        shed = self.engine.stats.shed - self._shed_reported
        if shed:
            self._instruments.detections_shed.add(shed)
            self._shed_reported = self.engine.stats.shed

    def _redacted(self, detection: Detection) -> Detection:
        """Group values redacted as ``processors.redact`` redacts the attributes they come from."""
        if self._redactor is None or not detection.group:
            return detection
        values: dict[str, AttributeValue] = {}
        for name, value in detection.group.items():
            for field, attribute in STRING_FIELDS:
                if field == name:
                    values[attribute] = value
        redaction = self._redactor.begin(values, " ".join(detection.group.values()))
        group = {name: redaction.text(value) for name, value in detection.group.items()}
        return dataclasses.replace(detection, group=group)

    def _maybe_save(self) -> None:
        if self._store is not None and time.monotonic() - self._last_save >= self._save_interval:
            self._save()

    def _save(self) -> None:
        assert self._store is not None
        rows, removed = self.engine.changes()
        self._store.save(rows, removed)
        self._last_save = time.monotonic()

    def slo(self) -> list[dict[str, Any]]:
        """The login SLO's windows, burn rates and budget left (``slo.slo_status``), for the status page."""
        with self._lock:
            return slo_status(self.engine)

    def close(self) -> None:
        """Save everything that changed and close the state file (shared: nothing, every step commits)."""
        with self._lock:
            if self._store is not None:
                self._save()
                self._store.close()
                self._store = None


def build_processor(config: Config, instruments: Instruments) -> DetectionProcessor | None:
    """The processor for ``processors.detections`` (``None`` when switched off); rule files are read
    here, so a bad one stops the start with :class:`~otel_auth0.detections.loader.RuleFileError`. On
    PostgreSQL it is shared: its window state is loaded by the detections lease holder, not here."""
    settings = config.processors.detections
    if not settings.enabled:
        return None
    rules = load_rules(settings.rules_files, settings.default_rules, settings.disabled_rules)
    engine = DetectionEngine(rules, settings.max_groups, settings.max_log_ids, MAX_AHEAD_SECONDS)
    with_spans, redactor = config.telemetry.spans != "none", build_redactor(config.processors.redact)
    if config.state.backend == "postgres":
        return DetectionProcessor(
            engine, instruments, None, with_spans=with_spans, redactor=redactor, shared=True
        )
    store, moved = StateStore.open_or_reset(Path(config.state_dir) / STATE_FILE)
    processor = DetectionProcessor(engine, instruments, store, settings.save_interval, with_spans, redactor)
    damage = {"otel_auth0.state_file": STATE_FILE}
    if moved is not None:
        instruments.state_damaged.add(1, {**damage, "otel_auth0.reason": "moved_aside"})
    if store.skipped_rows:
        instruments.state_damaged.add(store.skipped_rows, {**damage, "otel_auth0.reason": "bad_row"})
    return processor
