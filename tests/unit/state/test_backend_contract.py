"""The state backend contract, run against both backends: SQLite (the default) and PostgreSQL (a real
server from the ``postgres_server`` fixture). Whatever the collector relies on from its state store is
asserted here once for both: the queue, dedupe and checkpoints, and the detection window store
(``state_dir/detections.sqlite3``, or the state database's ``otel_auth0_detection_groups``)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from otel_auth0.config import Config, DedupeConfig, QueueConfig
from otel_auth0.convert.mapping import Converted
from otel_auth0.convert.wire import Signal
from otel_auth0.detections.engine import DetectionEngine
from otel_auth0.detections.loader import parse_rules
from otel_auth0.state.backend import StateBackend, open_state
from otel_auth0.state.detection_store import DetectionStore, StateStore
from otel_auth0.state.postgres_detections import PostgresDetections
from otel_auth0.state.postgres_queue import PostgresQueue
from otel_auth0.state.queue import ParkedEvent, PersistentQueue, QueueFull
from tests.unit.detections.builders import T0, event

OTLP, FILE = 1, 2

Opener = Callable[..., StateBackend]


def item(key: str | None, spans: int = 0) -> Converted:
    return Converted(key=key, logs=b"L" + (key or "").encode(), spans=b"S" * spans, span_count=spans)


@pytest.fixture(params=["sqlite", "postgres"])
def open_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens the same store again each call (``mask``, queue limits, ``max_ids``); closes them all."""
    opened: list[StateBackend] = []
    if request.param == "sqlite":
        state: dict[str, Any] = {}
    else:
        state = {"backend": "postgres", "dsn": request.getfixturevalue("postgres_dsn")}

    def opener(mask: int = OTLP | FILE, max_ids: int = 5_000_000, **limits: Any) -> StateBackend:
        config = Config.model_validate(
            {
                "state_dir": str(tmp_path / "state"),
                "state": state,
                "queue": limits,
                "processors": {"dedupe": {"max_ids": max_ids}},
            }
        )
        backend = open_state(config, mask)
        opened.append(backend)
        return backend

    yield opener
    for backend in opened:
        with contextlib.suppress(Exception):  # a test that closed it already
            backend.close()


def test_sqlite_is_the_default_backend(tmp_path: Path) -> None:
    backend = open_state(Config.model_validate({"state_dir": str(tmp_path)}), OTLP)
    try:
        assert isinstance(backend, PersistentQueue)
    finally:
        backend.close()


def test_enqueue_dedupes_and_checkpoints_atomically(open_backend: Opener) -> None:
    queue = open_backend()
    first = queue.enqueue([item("a"), item("b", spans=2), item("a")], "scope", ("poller", "b"))
    assert (first.accepted, first.duplicates, first.accepted_indices) == (2, 1, (0, 1))
    assert queue.size == 4  # two log records and two spans
    again = queue.enqueue([item("b"), item("c"), item(None)], "scope")
    assert (again.accepted, again.duplicates, again.accepted_indices) == (2, 1, (1, 2))
    checkpoint = queue.get_checkpoint("poller")
    assert checkpoint is not None and checkpoint.value == "b"
    assert queue.get_checkpoint("other") is None


def test_rows_leave_only_when_every_exporter_acknowledged(open_backend: Opener) -> None:
    queue = open_backend()
    queue.enqueue([item("a"), item("b")], "scope")
    batches = queue.peek(Signal.LOGS, OTLP, 100)
    assert [b.payload for b in batches] == [b"LaLb"]
    queue.ack(batches, OTLP)
    assert queue.peek(Signal.LOGS, OTLP, 100) == []
    assert queue.size == 2  # the file exporter still waits for them
    queue.ack(queue.peek(Signal.LOGS, FILE, 100), FILE)
    assert queue.size == 0 and queue.oldest_age() == 0.0


def test_state_survives_reopen_and_removed_exporters_release_rows(open_backend: Opener) -> None:
    queue = open_backend()
    queue.enqueue([item("a")], "scope", ("poller", "a"))
    queue.ack(queue.peek(Signal.LOGS, FILE, 10), FILE)
    queue.close()
    reopened = open_backend()
    assert reopened.size == 1 and reopened.has_seen("a")
    reopened.close()
    file_only = open_backend(mask=FILE)  # OTLP removed from the configuration
    assert file_only.size == 0
    checkpoint = file_only.get_checkpoint("poller")
    assert checkpoint is not None and checkpoint.value == "a"


def test_refuse_policy_raises_without_side_effects(open_backend: Opener) -> None:
    queue = open_backend(max_items=3)
    queue.enqueue([item("a"), item("b")], "scope", ("poller", "b"))
    with pytest.raises(QueueFull):
        queue.enqueue([item("c"), item("d")], "scope", ("poller", "d"))
    assert not queue.has_seen("c")
    checkpoint = queue.get_checkpoint("poller")
    assert checkpoint is not None and checkpoint.value == "b"


def test_drop_oldest_policy_counts_drops(open_backend: Opener) -> None:
    queue = open_backend(max_items=2, full_policy="drop_oldest")
    queue.enqueue([item("a")], "scope")
    queue.enqueue([item("b")], "scope")
    queue.enqueue([item("c")], "scope")
    assert queue.size == 2 and queue.dropped == 1
    assert [b.payload for b in queue.peek(Signal.LOGS, OTLP, 10)] == [b"Lb", b"Lc"]


def test_peek_respects_batch_size_but_returns_at_least_one_row(open_backend: Opener) -> None:
    queue = open_backend()
    queue.enqueue([item(str(i)) for i in range(5)], "scope")
    queue.enqueue([item("x")], "scope")
    assert len(queue.peek(Signal.LOGS, OTLP, 1)) == 1
    assert sum(b.records for b in queue.peek(Signal.LOGS, FILE, 6)) == 6


def test_spans_and_logs_are_separate_signals(open_backend: Opener) -> None:
    queue = open_backend(mask=OTLP)
    queue.enqueue([item("a", spans=3)], "scope")
    spans = queue.peek(Signal.SPANS, OTLP, 10)
    assert [(b.records, b.payload) for b in spans] == [(3, b"SSS")]
    queue.ack(spans, OTLP)
    assert queue.size == 1 and [b.payload for b in queue.peek(Signal.LOGS, OTLP, 10)] == [b"La"]


def test_dedupe_window_by_count(open_backend: Opener) -> None:
    queue = open_backend(max_ids=2)
    for key in "abcd":
        queue.enqueue([item(key)], "scope")
    assert queue.prune_seen() == 2
    assert not queue.has_seen("a") and queue.has_seen("d")


def test_refused_rows_and_dead_letters_are_kept(open_backend: Opener) -> None:
    queue = open_backend(mask=OTLP)
    parked = ParkedEvent("logs_api", "id-1", "conversion_failed", "ValueError: x", '{"log_id": "id-1"}')
    result = queue.enqueue([item("a")], "scope", ("poller", "a"), parked=[parked])
    assert result.parked == 1
    assert queue.dead_letters() == [("logs_api", "id-1", "conversion_failed", '{"log_id": "id-1"}')]
    [batch] = queue.peek(Signal.LOGS, OTLP, 10)
    queue.reject(batch, Signal.LOGS, OTLP, "otlp")
    assert queue.rejected_count() == 1 and queue.size == 0 and queue.peek(Signal.LOGS, OTLP, 10) == []


def test_checkpoint_outside_an_enqueue(open_backend: Opener) -> None:
    queue = open_backend()
    queue.set_checkpoint("guard", '{"blocked": false}')
    queue.set_checkpoint("guard", '{"blocked": true}')
    checkpoint = queue.get_checkpoint("guard")
    assert checkpoint is not None and checkpoint.value == '{"blocked": true}' and checkpoint.updated_at > 0


def test_compact_and_storage_error_start_clean(open_backend: Opener) -> None:
    queue = open_backend()
    queue.enqueue([item("a")], "scope")
    assert queue.compact() == 0  # nothing freed worth compacting
    assert queue.storage_error is None


def test_limits_cover_bytes(open_backend: Opener) -> None:
    queue = open_backend(max_bytes=1024 * 1024)
    big = Converted(key="big", logs=b"x" * (1024 * 1024 + 1), spans=b"", span_count=0)
    with pytest.raises(QueueFull):
        queue.enqueue([big], "scope")
    assert queue.size == 0 and not queue.has_seen("big")


def test_default_configs_are_what_the_backends_use() -> None:
    assert QueueConfig().full_policy == "refuse" and DedupeConfig().max_ids == 5_000_000


THRESHOLD = parse_rules(
    """
rules:
  - id: fails_by_ip
    title: failures
    severity: warn
    description: d
    runbook: r
    match: {outcome: [failure]}
    threshold: {count: 6, window: 10m, group_by: [ip]}
    dedupe: 1h
""",
    "test",
)


class DetectionStores:
    """Opens the detection store of one backend again each call; writes a raw row past the store."""

    def __init__(self, backend: str, tmp_path: Path, dsn: str | None) -> None:
        self.backend = backend
        self.path = tmp_path / "state" / "detections.sqlite3"
        self.dsn = dsn
        self.opened: list[DetectionStore] = []
        self._queues: list[StateBackend] = []

    def open(self) -> DetectionStore:
        store: DetectionStore
        if self.backend == "sqlite":
            self.path.parent.mkdir(exist_ok=True)
            store, _ = StateStore.open_or_reset(self.path)
        else:
            config = Config.model_validate({"state": {"backend": "postgres", "dsn": self.dsn}})
            queue = open_state(config, OTLP)
            assert isinstance(queue, PostgresQueue)
            self._queues.append(queue)
            store = PostgresDetections(queue)
        self.opened.append(store)
        return store

    def write_raw(self, rule: str, group: str, state: str) -> None:
        """A row as something else (an older version, a damaged disk) left it."""
        if self.backend == "sqlite":
            with contextlib.closing(sqlite3.connect(self.path)) as db, db:
                db.execute("INSERT INTO groups (rule, grp, state) VALUES (?, ?, ?)", (rule, group, state))
        else:
            assert self.dsn is not None
            with psycopg.connect(self.dsn) as conn:
                conn.execute(
                    "INSERT INTO otel_auth0_detection_groups (rule, grp, state) VALUES (%s, %s, %s)",
                    (rule, group, state),
                )

    def close(self) -> None:
        for store in self.opened:
            with contextlib.suppress(Exception):
                store.close()
        for queue in self._queues:
            with contextlib.suppress(Exception):
                queue.close()


@pytest.fixture(params=["sqlite", "postgres"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DetectionStores]:
    dsn = request.getfixturevalue("postgres_dsn") if request.param == "postgres" else None
    opened = DetectionStores(request.param, tmp_path, dsn)
    yield opened
    opened.close()


def test_window_rows_are_written_replaced_and_removed_in_one_save(stores: DetectionStores) -> None:
    store = stores.open()
    store.save([("r", '["a"]', '{"kind": "threshold", "n": 1}'), ("r", '["b"]', '{"kind": "threshold"}')], [])
    store.save([("r", '["a"]', '{"kind": "threshold", "n": 2}')], [("r", '["b"]')])
    store.save([], [])  # nothing changed: nothing to do
    assert store.load() == [("r", '["a"]', '{"kind": "threshold", "n": 2}')]
    # A group forgotten and seen again before the next save: removed, then written anew.
    store.save([("r", '["a"]', '{"kind": "threshold", "n": 3}')], [("r", '["a"]')])
    assert stores.open().load() == [("r", '["a"]', '{"kind": "threshold", "n": 3}')]


def test_rows_that_are_not_window_state_are_skipped_and_counted(stores: DetectionStores) -> None:
    store = stores.open()
    good = ("r", '["1.2.3.4"]', '{"kind": "threshold"}')
    store.save([good], [])
    stores.write_raw("r", '["x"]', "{not json")
    stores.write_raw("r", "[[1]]", "{}")
    reopened = stores.open()
    assert reopened.load() == [good]
    assert reopened.skipped_rows == 2


def test_a_half_full_window_resumes_from_the_store(stores: DetectionStores) -> None:
    """Three failures counted by one engine, three more by another that loaded the saved state: the
    rule fires once, with all six."""
    first = DetectionEngine(THRESHOLD)
    for at in (0, 10, 20):
        assert first.process(event("f", at, ip="203.0.113.9"), T0) == []
    stores.open().save(*first.changes())
    second = DetectionEngine(THRESHOLD)
    assert second.restore(stores.open().load()) == 1
    fired = [d for at in (30, 40, 50) for d in second.process(event("f", at, ip="203.0.113.9"), T0)]
    print(f"\n{stores.backend}: resumed window fired {len(fired)} time(s), count {[d.count for d in fired]}")
    assert [(d.rule.id, d.count, d.first_time) for d in fired] == [("fails_by_ip", 6, T0)]
