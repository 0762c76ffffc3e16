"""``state_dir`` under attack (issue 25.8, 25.12, 25.13), with real processes and real files: a second
process on the same directory is refused with the holder's pid, files are private, a damaged state
file is named (detection state moved aside or skipped, the queue refused with its recovery procedure,
exit 3, never 2 nor a traceback), and records lost with a damaged write-ahead log are reported."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from tests.collector_process import run_cli
from tests.integration.log_stream_process import (
    as_array,
    free_port,
    items,
    post_items,
    running_collector,
    stream_config,
    write_config,
)

pytestmark = pytest.mark.integration


def _config(tmp_path: Path, name: str = "config.yaml", state_dir: Path | None = None) -> tuple[Path, int]:
    port = free_port()
    config = {
        "state_dir": str(state_dir or tmp_path / "state"),
        "receivers": {"log_stream": stream_config(port)},
        # A closed loopback port: every record stays queued.
        "exporters": {"otlp": {"endpoint": f"http://127.0.0.1:{free_port()}", "timeout": "1s"}},
    }
    return write_config(tmp_path / name, config), port


def _one_line_state_error(stderr: str, fragment: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("otel-auth0: ")]
    assert len(lines) == 1, stderr
    assert fragment in lines[0], stderr
    assert "Traceback" not in stderr and "configuration error" not in stderr
    return lines[0]


def test_a_second_process_on_the_same_state_dir_is_refused(tmp_path: Path) -> None:
    first, port = _config(tmp_path)
    second, second_port = _config(tmp_path, "second.yaml")
    archive = tmp_path / "archive.json"
    archive.write_text(json.dumps([item["data"] for item in items(3)]), encoding="utf-8")
    state_dir = (tmp_path / "state").resolve()
    with running_collector(first, tmp_path / "first.log", port) as collector:
        refused = run_cli("run", "--config", str(second), timeout=120)
        assert refused.returncode == 3, refused.stderr
        line = _one_line_state_error(refused.stderr, f"state_dir {state_dir} is in use")
        assert f"pid {collector.process.pid}" in line
        imported = run_cli("import", "--config", str(second), str(archive), timeout=120)
        assert imported.returncode == 3, imported.stderr
        _one_line_state_error(imported.stderr, f"pid {collector.process.pid}")
        assert collector.process.poll() is None
    # Once the holder is gone (even killed), the directory is free again.
    with running_collector(second, tmp_path / "second.log", second_port) as collector:
        assert collector.process.poll() is None


def test_state_files_are_private(tmp_path: Path) -> None:
    path, port = _config(tmp_path)
    state_dir = tmp_path / "state"
    with running_collector(path, tmp_path / "collector.log", port) as collector:
        assert post_items(collector.stream_url, as_array(items(5))).status_code == 200
        assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
        files = sorted(p.name for p in state_dir.iterdir())
        assert {"queue.sqlite3", "queue.sqlite3-wal", "detections.sqlite3"} <= set(files)
        for name in files:
            mode = stat.S_IMODE((state_dir / name).stat().st_mode)
            assert mode == 0o600, f"{name} is {mode:o}"


def _post_and_kill(tmp_path: Path, path: Path, port: int, batches: int = 5) -> set[str]:
    posted: set[str] = set()
    with running_collector(path, tmp_path / "before.log", port) as collector:
        for _ in range(batches):
            batch = items(20)
            assert post_items(collector.stream_url, as_array(batch)).status_code == 200
            posted |= {item["log_id"] for item in batch}
    return posted  # running_collector kills with SIGKILL: the queue's WAL stays as it was


@pytest.mark.parametrize("damage", ["garbage", "bad_row"])
def test_damaged_detection_state_is_named_and_set_aside(tmp_path: Path, damage: str) -> None:
    path, port = _config(tmp_path)
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    detections = state_dir / "detections.sqlite3"
    if damage == "garbage":
        detections.write_bytes(os.urandom(8192))
    else:
        with sqlite3.connect(detections) as db:
            db.execute("CREATE TABLE groups (rule TEXT, grp TEXT, state TEXT, PRIMARY KEY (rule, grp))")
            db.execute("INSERT INTO groups VALUES ('brute_force', '[\"1.2.3.4\"]', '{not json')")
    with running_collector(path, tmp_path / "collector.log", port) as collector:
        assert post_items(collector.stream_url, as_array(items(3))).status_code == 200
        log = collector.stderr_text()
        assert collector.process.poll() is None
    assert str(detections) in log
    assert "Traceback" not in log and "configuration error" not in log
    if damage == "garbage":
        assert "moved aside" in log
        assert list(state_dir.glob("detections.sqlite3.corrupt-*"))
    else:
        assert "1 damaged rows skipped" in log


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_queue_is_refused_with_its_recovery_and_kept(tmp_path: Path, damage: str) -> None:
    path, port = _config(tmp_path)
    queue = tmp_path / "state" / "queue.sqlite3"
    if damage == "garbage":
        queue.parent.mkdir()
        queue.write_bytes(b"SQLite format 3\0" + os.urandom(65536))
    else:
        _post_and_kill(tmp_path, path, port, batches=20)
        with sqlite3.connect(queue) as db:  # fold the WAL in, then cut the file in half
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with queue.open("r+b") as file:
            file.truncate(queue.stat().st_size // 2)
    before = queue.read_bytes()
    done = run_cli("run", "--config", str(path), timeout=120)
    assert done.returncode == 3, done.stderr
    line = _one_line_state_error(done.stderr, f"queue file {queue}")
    assert "nothing was discarded" in line and "docs/operations.md" in line
    assert queue.read_bytes() == before  # kept as it was for the recovery


@pytest.mark.parametrize("damage", ["damaged", "deleted"])
def test_records_lost_with_the_write_ahead_log_are_reported(tmp_path: Path, damage: str) -> None:
    path, port = _config(tmp_path)
    wal = tmp_path / "state" / "queue.sqlite3-wal"
    _post_and_kill(tmp_path, path, port)
    assert wal.stat().st_size > 0
    if damage == "deleted":
        wal.unlink()
    else:
        with wal.open("r+b") as file:  # keep the WAL header, garble every frame
            file.seek(32)
            file.write(os.urandom(wal.stat().st_size - 32))
    with running_collector(path, tmp_path / "after.log", port) as collector:
        log = collector.stderr_text()
    assert f"queue {tmp_path / 'state' / 'queue.sqlite3'} lost committed records" in log
    assert "Traceback" not in log
