"""The read-only checkpoint opener: what readiness uses instead of its own SQL on the queue."""

from __future__ import annotations

from pathlib import Path

from otel_auth0.state.checkpoints import QUEUE_FILE, read_checkpoints
from otel_auth0.state.queue import PersistentQueue


def test_reads_named_checkpoints_without_creating_or_writing(tmp_path: Path) -> None:
    assert read_checkpoints(tmp_path, ["a"]) == {}
    assert not (tmp_path / QUEUE_FILE).exists()
    queue = PersistentQueue.in_state_dir(tmp_path, 1)
    queue.set_checkpoint("a", "1")
    queue.set_checkpoint("b", "2")
    queue.close()
    found = read_checkpoints(tmp_path, ["a", "c"])
    assert list(found) == ["a"] and found["a"].value == "1" and found["a"].updated_at > 0
    (tmp_path / QUEUE_FILE).chmod(0o444)
    assert read_checkpoints(tmp_path, ["b"])["b"].value == "2"


def test_an_unreadable_file_reads_as_no_checkpoint(tmp_path: Path) -> None:
    (tmp_path / QUEUE_FILE).write_bytes(b"not a database")
    assert read_checkpoints(tmp_path, ["a"]) == {}
