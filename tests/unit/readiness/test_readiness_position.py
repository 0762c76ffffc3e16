"""The readiness lag gate reads the collector's position from the poller cursor or the Log Stream."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from otel_auth0.readiness.log_export import read_checkpoint
from otel_auth0.receivers.log_stream import CHECKPOINT as STREAM_CHECKPOINT
from otel_auth0.receivers.logs_api import CHECKPOINT, log_id_before, log_id_time
from otel_auth0.state.queue import PersistentQueue

SYNTHETIC = "900" + "20261129010000" + "0" * 39
STREAMED = "900" + "20261129034500" + "1" * 39


def test_position_is_the_furthest_of_poller_and_stream(tmp_path: Path) -> None:
    assert read_checkpoint(tmp_path) is None
    queue = PersistentQueue(tmp_path / "queue.sqlite3", 1)
    queue.set_checkpoint(CHECKPOINT, SYNTHETIC)
    queue.close()
    only_poller = read_checkpoint(tmp_path)
    assert only_poller is not None and only_poller.log_id == SYNTHETIC
    queue = PersistentQueue(tmp_path / "queue.sqlite3", 1)
    queue.set_checkpoint(STREAM_CHECKPOINT, STREAMED)
    queue.close()
    both = read_checkpoint(tmp_path)
    assert both is not None and both.log_id == STREAMED


def test_log_ids_carry_their_time_even_when_synthesised() -> None:
    assert log_id_time(STREAMED) == datetime(2026, 11, 29, 3, 45, tzinfo=UTC)
    instant = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
    assert log_id_time(log_id_before(STREAMED, instant)) == instant
    assert log_id_time("not-a-log-id") is None
    assert log_id_time("900" + "20261399999999" + "0" * 39) is None
