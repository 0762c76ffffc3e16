"""A detection state file that is not ours or not readable is moved aside and started fresh; bad rows
are skipped (issue 25.12). Real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from otel_auth0.state.detection_store import StateStore


@pytest.mark.parametrize("content", ["garbage", "other_layout", "empty"])
def test_an_unusable_file_is_moved_aside(tmp_path: Path, content: str) -> None:
    path = tmp_path / "detections.sqlite3"
    if content == "garbage":
        path.write_bytes(b"\x00not sqlite\xff" * 1000)
    elif content == "other_layout":
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE groups (something_else TEXT)")
    else:
        path.write_bytes(b"")
    store, moved = StateStore.open_or_reset(path)
    try:
        if content == "empty":  # an empty file is a new database, nothing to set aside
            assert moved is None
        else:
            assert moved is not None and moved.name.startswith("detections.sqlite3.corrupt-")
            assert moved.exists()
        store.save([("r", '["g"]', '{"kind": "x"}')], [])
        assert store.load() == [("r", '["g"]', '{"kind": "x"}')]
    finally:
        store.close()


def test_bad_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "detections.sqlite3")
    good = ("r", '["1.2.3.4"]', '{"kind": "threshold"}')
    store.save([good, ("r", '["x"]', "{not json"), ("r", "[[1]]", "{}"), ("r", '"s"', "{}")], [])
    assert store.load() == [good]
    assert store.skipped_rows == 3
    store.close()
