"""(b) Our mapping + encode of the same bodies: ``json.loads``, :func:`normalize_event` and
:meth:`Intake.submit_events` (conversion to log records and spans, event metrics) with the default
configuration, on a queue stand-in that accepts everything, so SQLite is left out; with
``detections``, the default detection rules run over every event too (state kept in memory only)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import cast

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from bench.events import TENANT
from bench.result import Throughput
from otel_auth0.config import Config
from otel_auth0.convert.events import normalize_event
from otel_auth0.convert.mapping import Converted
from otel_auth0.detections.engine import DetectionEngine
from otel_auth0.detections.loader import default_rules
from otel_auth0.detections.processor import DetectionProcessor
from otel_auth0.instruments import Instruments
from otel_auth0.pipeline.intake import Intake
from otel_auth0.runtime import build_converter
from otel_auth0.state.queue import EnqueueResult, ParkedEvent, PersistentQueue


class AcceptingQueue:
    """Takes the place of :class:`PersistentQueue`: accepts every batch and keeps the last one."""

    def __init__(self) -> None:
        self.last: Sequence[Converted] = ()

    def enqueue(
        self,
        batch: Sequence[Converted],
        scope: str,
        checkpoint: tuple[str, str] | None = None,
        parked: Sequence[ParkedEvent] = (),
    ) -> EnqueueResult:
        """Accept ``batch`` whole (and ignore ``parked``: the benchmark's events all convert)."""
        self.last = batch
        return EnqueueResult(len(batch), 0, tuple(range(len(batch))))


def default_config() -> Config:
    """The default configuration for a tenant (as ``otel-auth0 run`` would load it)."""
    return Config.model_validate({"auth0": {"domain": f"{TENANT}.us.auth0.com"}})


def intake(
    config: Config | None = None, detections: bool = False
) -> tuple[Intake, AcceptingQueue, InMemoryMetricReader]:
    """An intake built like the runtime's, over :class:`AcceptingQueue`, with metrics aggregated in memory
    (and, with ``detections``, the default rules)."""
    config = config or default_config()
    reader = InMemoryMetricReader()
    instruments = Instruments(MeterProvider(metric_readers=[reader]).get_meter("otel_auth0"))
    queue = AcceptingQueue()
    detector = DetectionProcessor(DetectionEngine(default_rules()), instruments) if detections else None
    built = Intake(cast(PersistentQueue, queue), build_converter(config), instruments, detector=detector)
    return built, queue, reader


def measure(rounds: Sequence[Sequence[bytes]], events: int, detections: bool = False) -> Throughput:
    """The best, in CPU time, of one pass per round over that round's bodies (``events`` each;
    distinct events per round, so nothing is measured on events it has already seen)."""
    target, _, _ = intake(detections=detections)
    best = float("inf")
    for bodies in rounds:
        started = time.process_time()
        for body in bodies:
            target.submit_events([normalize_event(item) for item in json.loads(body)], "log_stream")
        best = min(best, time.process_time() - started)
    return Throughput(events, best)
