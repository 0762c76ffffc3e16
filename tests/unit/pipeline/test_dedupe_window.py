"""Dedupe by log_id survives restarts and forgets by age; the age limit of the queue refuses input."""

from __future__ import annotations

import time
from pathlib import Path
from unittest import mock

import pytest

from otel_auth0.config import DedupeConfig, QueueConfig
from otel_auth0.convert.mapping import Converted
from otel_auth0.convert.wire import Signal
from otel_auth0.state.queue import PersistentQueue, QueueFull

OTLP = 1


def item(key: str) -> Converted:
    return Converted(key=key, logs=b"L" + key.encode())


def open_queue(
    path: Path, queue: QueueConfig | None = None, dedupe: DedupeConfig | None = None
) -> PersistentQueue:
    return PersistentQueue(path / "q.sqlite3", OTLP, queue or QueueConfig(), dedupe or DedupeConfig())


def test_seen_log_ids_survive_a_restart_even_after_export(tmp_path: Path) -> None:
    queue = open_queue(tmp_path)
    queue.enqueue([item("a"), item("b")], "scope")
    queue.ack(queue.peek(Signal.LOGS, OTLP, 10), OTLP)
    assert queue.size == 0
    queue.close()
    again = open_queue(tmp_path)
    result = again.enqueue([item("a"), item("b"), item("c")], "scope")
    assert (result.accepted, result.duplicates) == (1, 2)
    again.close()


def test_dedupe_window_by_age(tmp_path: Path) -> None:
    queue = open_queue(tmp_path, dedupe=DedupeConfig(window=3600))
    queue.enqueue([item("old")], "scope")
    later = time.time() + 7200
    with mock.patch("otel_auth0.state.queue.time.time", return_value=later):
        queue.enqueue([item("new")], "scope")
        assert queue.prune_seen() == 1
    assert not queue.has_seen("old") and queue.has_seen("new")
    # Forgotten after the window: a (very late) redelivery is emitted again rather than lost.
    assert queue.enqueue([item("old")], "scope").accepted == 1
    queue.close()


def test_queue_age_limit_refuses_new_input_and_keeps_the_old(tmp_path: Path) -> None:
    queue = open_queue(tmp_path, QueueConfig(max_age=60))
    queue.enqueue([item("a")], "scope")
    with mock.patch("otel_auth0.state.queue.time.time", return_value=time.time() + 120):
        with pytest.raises(QueueFull, match="max age"):
            queue.enqueue([item("b")], "scope")
        assert queue.size == 1 and not queue.has_seen("b")
    queue.close()
