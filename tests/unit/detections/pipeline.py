"""The live pipeline's intake with the detection processor, over a real queue on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ScopeLogs
from opentelemetry.proto.trace.v1.trace_pb2 import ScopeSpans, Span
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from otel_auth0.collector_config import parse_config
from otel_auth0.config import Config
from otel_auth0.convert.wire import Signal
from otel_auth0.detections.output import SCOPE
from otel_auth0.detections.processor import build_processor
from otel_auth0.instruments import Instruments
from otel_auth0.pipeline.intake import Intake
from otel_auth0.runtime import build_converter
from otel_auth0.state.queue import PersistentQueue
from tests.otlp_receiver import attributes


def live_intake(tmp_path: Path, **settings: Any) -> tuple[Intake, InMemoryMetricReader, Config]:
    """An intake as ``otel-auth0 run`` builds it (converter, detection processor, state file)."""
    config = parse_config({"state_dir": str(tmp_path / "state"), **settings})
    reader = InMemoryMetricReader()
    instruments = Instruments(MeterProvider(metric_readers=[reader]).get_meter("test"))
    queue = PersistentQueue(tmp_path / "state" / "queue.sqlite3", 1)
    intake = Intake(
        queue, build_converter(config), instruments, detector=build_processor(config, instruments)
    )
    return intake, reader, config


def queued(intake: Intake, signal: Signal) -> list[tuple[str, bytes]]:
    """``(scope, payload)`` of every queued row of ``signal``."""
    return [(batch.scope, batch.payload) for batch in intake.queue.peek(signal, 1, 10**9)]


def detection_records(intake: Intake) -> list[LogRecord]:
    """The detection log records in the queue."""
    return [
        record
        for scope, payload in queued(intake, Signal.LOGS)
        if scope == SCOPE
        for record in ScopeLogs.FromString(payload).log_records
    ]


def detection_spans(intake: Intake) -> list[Span]:
    """The detection spans in the queue (event spans are in the same rows' neighbours)."""
    return [
        span
        for scope, payload in queued(intake, Signal.SPANS)
        if scope == SCOPE
        for span in ScopeSpans.FromString(payload).spans
    ]


def event_spans(intake: Intake) -> dict[str, Span]:
    """The events' own spans by ``auth0.log.id``."""
    out = {}
    for scope, payload in queued(intake, Signal.SPANS):
        if scope != SCOPE:
            for span in ScopeSpans.FromString(payload).spans:
                log_id = attributes(span.attributes).get("auth0.log.id")
                if log_id and span.name.startswith("auth0.log."):
                    out[str(log_id)] = span
    return out


def summary(record: LogRecord) -> tuple[str, dict[str, Any], int, tuple[str, ...]]:
    """(rule id, group, count, log ids) of a detection record."""
    values = attributes(record.attributes)
    group = {k.removeprefix("auth0.detection.group."): v for k, v in values.items() if ".group." in k}
    return (
        str(values["auth0.detection.rule.id"]),
        group,
        int(values["auth0.detection.count"]),
        tuple(values["auth0.detection.log_ids"]),
    )
