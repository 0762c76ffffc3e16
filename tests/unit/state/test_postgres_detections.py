"""A fleet's detections in PostgreSQL, against a real server: the inbox filled in the enqueue's own
transaction (only with what was accepted), one evaluation place per tenant (the detections lease holder)
whose commits are atomic and fenced, a takeover that continues the windows, and the schema migration
from version 1."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from opentelemetry.proto.logs.v1.logs_pb2 import ScopeLogs
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from otel_auth0.config import Config
from otel_auth0.convert.mapping import Converted
from otel_auth0.convert.wire import Signal
from otel_auth0.detections.inbox import decode
from otel_auth0.detections.output import SCOPE
from otel_auth0.detections.processor import build_processor
from otel_auth0.detections.shared import SharedDetections
from otel_auth0.instruments import Instruments
from otel_auth0.pipeline.intake import Intake
from otel_auth0.runtime import build_converter
from otel_auth0.state.fencing import CURRENT_FENCE, Fence, Fenced
from otel_auth0.state.postgres_detections import PostgresDetections
from otel_auth0.state.postgres_leases import PostgresLeases
from otel_auth0.state.postgres_queue import PostgresQueue
from otel_auth0.state.postgres_schema import MIGRATIONS, SCHEMA_VERSION, migrate
from otel_auth0.state.queue import QueueFull
from tests.otlp_receiver import attributes
from tests.unit.detections.builders import T0, iso

OTLP = 1
LEASE = "acme/detections"
RULES = """
rules:
  - id: fails_by_ip
    title: failures
    severity: warn
    description: d
    runbook: r
    match: {outcome: [failure]}
    threshold: {count: 6, window: 10m, group_by: [ip]}
    dedupe: 1h
"""


def item(key: str) -> Converted:
    return Converted(key=key, logs=b"L" + key.encode(), spans=b"", span_count=0)


def config(dsn: str, tmp_path: Path, **queue: object) -> Config:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    return Config.model_validate(
        {
            "state_dir": str(tmp_path / "state"),
            "state": {"backend": "postgres", "dsn": dsn, "connect_timeout": "2s"},
            "queue": queue,
            "processors": {"detections": {"default_rules": False, "rules_files": [str(rules)]}},
        }
    )


class Replica:
    """What one replica of a fleet has for one tenant: queue, intake, detections job, lease book."""

    def __init__(self, name: str, settings: Config) -> None:
        self.name = name
        self.queue = PostgresQueue.from_config(settings, OTLP)
        self.reader = InMemoryMetricReader()
        instruments = Instruments(MeterProvider(metric_readers=[self.reader]).get_meter("test"))
        processor = build_processor(settings, instruments)
        assert processor is not None and processor.shared
        self.intake = Intake(self.queue, build_converter(settings), instruments, detector=processor)
        self.job = SharedDetections(processor, PostgresDetections(self.queue), instruments)
        self.leases = PostgresLeases(self.queue.pool, name, lease_time=60.0)

    @contextlib.contextmanager
    def holding(self, epoch: int) -> Iterator[None]:
        """Run what follows as the lease runner runs the job: with the lease's fence."""
        token = CURRENT_FENCE.set(Fence(LEASE, self.name, epoch))
        try:
            yield
        finally:
            CURRENT_FENCE.reset(token)

    def failures(self, *log_ids: str, at: float = 0.0) -> None:
        """Failed logins from one IP, as the Log Stream hands them to the intake."""
        events = [
            {"type": "f", "date": iso(T0 + at), "log_id": log_id, "ip": "203.0.113.9", "tenant_name": "acme"}
            for log_id in log_ids
        ]
        self.intake.submit_events(events, "log_stream")

    def reported(self) -> float:
        """``auth0.detections`` as this replica counted it."""
        data = self.reader.get_metrics_data()
        return sum(
            point.value
            for resource in (data.resource_metrics if data else [])
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == "auth0.detections"
            for point in metric.data.data_points
        )


def inbox(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [
            str(row[0]) for row in conn.execute("SELECT observed FROM otel_auth0_detection_inbox ORDER BY id")
        ]


def detections_queued(queue: PostgresQueue) -> list[dict[str, object]]:
    """The attributes of every detection log record in the queue."""
    return [
        attributes(record.attributes)
        for batch in queue.peek(Signal.LOGS, OTLP, 10**6)
        if batch.scope == SCOPE
        for record in ScopeLogs.FromString(batch.payload).log_records
    ]


def expire(dsn: str) -> None:
    """The lease holder is paused past its lease (kill -9, SIGSTOP)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE otel_auth0_leases SET expires_at = clock_timestamp()")


def test_the_inbox_takes_only_what_the_enqueue_accepted(postgres_dsn: str, tmp_path: Path) -> None:
    queue = PostgresQueue.from_config(config(postgres_dsn, tmp_path, max_items=4), OTLP)
    try:
        queue.enqueue([item("a"), item("b")], "s", inbox=[(0, "A"), (1, "B"), (None, "batch 1")])
        queue.enqueue([item("a"), item("c")], "s", inbox=[(0, "A again"), (1, "C"), (None, "batch 2")])
        queue.enqueue([item("a")], "s", inbox=[(0, "A thrice"), (None, "batch 3")])  # nothing new
        with pytest.raises(QueueFull):  # over max_items: refused whole, inbox entries included
            queue.enqueue([item("d"), item("e")], "s", inbox=[(0, "D"), (1, "E"), (None, "batch 4")])
        assert inbox(postgres_dsn) == ["A", "B", "batch 1", "C", "batch 2"]
    finally:
        queue.close()


def test_a_fleet_counts_one_window_per_tenant_and_a_takeover_continues_it(
    postgres_dsn: str, tmp_path: Path
) -> None:
    settings = config(postgres_dsn, tmp_path)
    a, b = Replica("replica-a", settings), Replica("replica-b", settings)
    try:
        epoch = a.leases.acquire(LEASE)
        assert epoch is not None and b.leases.acquire(LEASE) is None
        # Both replicas serve the Log Stream; the same delivery reached both (queued once).
        a.failures("id-1", "id-2")
        b.failures("id-2", "id-3")
        with a.holding(epoch):
            assert a.job.resume() == 0
            assert a.job.step() == 3
        with psycopg.connect(postgres_dsn) as conn:
            [(state, written_by)] = conn.execute(
                "SELECT state, epoch FROM otel_auth0_detection_groups"
            ).fetchall()
        half = len(json.loads(str(state))["entries"])
        assert (half, written_by, inbox(postgres_dsn)) == (3, epoch, [])

        # A stops renewing; B takes the lease over. Three more failures arrive, at both replicas.
        expire(postgres_dsn)
        new_epoch = b.leases.acquire(LEASE)
        assert new_epoch == epoch + 1
        a.failures("id-4", at=60)
        b.failures("id-5", "id-6", at=70)
        with a.holding(epoch), pytest.raises(Fenced):  # A, resumed from its pause, cannot commit
            a.job.step()
        assert len(inbox(postgres_dsn)) == 3
        with b.holding(new_epoch):
            assert b.job.resume() == 1
            assert b.job.step() == 3
            assert b.job.step() == 0
        fired = detections_queued(b.queue)
        print(
            f"\nwindow half-filled under epoch {epoch} ({half} of 6), completed under epoch {new_epoch}: "
            f"{len(fired)} detection(s), count {[d['auth0.detection.count'] for d in fired]}, "
            f"log ids {[d['auth0.detection.log_ids'] for d in fired]}; reported by A {a.reported():.0f}, "
            f"by B {b.reported():.0f}"
        )
        assert [(d["auth0.detection.rule.id"], d["auth0.detection.count"]) for d in fired] == [
            ("fails_by_ip", 6)
        ]
        assert fired[0]["auth0.detection.log_ids"] == [f"id-{n}" for n in range(1, 7)]
        assert (a.reported(), b.reported()) == (0, 1)
        assert (len(a.job.processor.recent), len(b.job.processor.recent)) == (0, 1)
        # The stale holder's old window state can never overwrite the new holder's.
        with a.holding(epoch), pytest.raises(Fenced):
            a.job.store.save([("fails_by_ip", '["203.0.113.9"]', '{"kind": "threshold", "entries": []}')], [])
        with psycopg.connect(postgres_dsn) as conn:
            [(state, written_by)] = conn.execute(
                "SELECT state, epoch FROM otel_auth0_detection_groups"
            ).fetchall()
        assert written_by == new_epoch and json.loads(str(state))["last_fired"] is not None
    finally:
        a.queue.close()
        b.queue.close()


def test_detections_a_full_queue_refuses_still_move_the_windows_on(postgres_dsn: str, tmp_path: Path) -> None:
    queue = PostgresQueue.from_config(config(postgres_dsn, tmp_path, max_items=1), OTLP)
    try:
        queue.enqueue([item("a")], "s", inbox=[(0, "observation")])
        store = PostgresDetections(queue)
        [(entry_id, text)] = store.take(10)
        row = ("r", '["g"]', '{"kind": "threshold"}')
        refused = store.commit([entry_id], [row], [], [item("detection")], SCOPE)
        assert refused is not None and "queue holds 1 records" in refused
        assert (store.take(10), store.load(), queue.size, text) == ([], [row], 1, "observation")
    finally:
        queue.close()


def test_an_inbox_entry_that_is_not_an_observation_is_skipped_and_counted(
    postgres_dsn: str, tmp_path: Path
) -> None:
    replica = Replica("r1", config(postgres_dsn, tmp_path))
    try:
        replica.failures("id-1")
        with psycopg.connect(postgres_dsn) as conn:
            conn.execute("INSERT INTO otel_auth0_detection_inbox (observed, added_at) VALUES ('{oops', 0)")
        assert decode(inbox(postgres_dsn)[0]).event["log_id"] == "id-1"
        assert replica.job.step() == 2
        data = replica.reader.get_metrics_data()
        damaged = {
            tuple(sorted(point.attributes.items())): point.value
            for resource in (data.resource_metrics if data else [])
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == "otel_auth0.state.damaged"
            for point in metric.data.data_points
        }
        key = (("otel_auth0.reason", "bad_row"), ("otel_auth0.state_file", "otel_auth0_detection_inbox"))
        assert damaged == {key: 1} and inbox(postgres_dsn) == []
    finally:
        replica.queue.close()


def test_a_version_1_database_is_migrated_to_the_detection_tables(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(MIGRATIONS[0].encode())
        conn.execute("CREATE TABLE otel_auth0_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO otel_auth0_schema (version) VALUES (1)")
        assert migrate(conn) == 1
        assert migrate(conn) == SCHEMA_VERSION == 2
        tables = {
            str(row[0])
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE tablename LIKE 'otel_auth0_detection_%'"
            )
        }
    assert tables == {"otel_auth0_detection_groups", "otel_auth0_detection_inbox"}
