"""A full disk under ``state_dir``: the Log Stream answers 503 with ``Retry-After`` (nothing stored,
nothing lost), the export worker never sends an acknowledged batch again, and once space returns every
event arrives exactly once. Runs on a small tmpfs of the test's own (needs permission to mount)."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.log_stream_process import (
    as_array,
    free_port,
    items,
    otlp_exporter,
    post_items,
    running_collector,
    stream_config,
    write_config,
)
from tests.otlp_receiver import OtlpReceiver

pytestmark = pytest.mark.integration

DISK_MB = 32
FILLER_MB = 22
BATCH = 100


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A ``DISK_MB`` tmpfs mounted for this test (skipped where mounting is not permitted)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def padded(count: int) -> list[dict[str, Any]]:
    """Items with a 2 KB description, so the disk fills after a few thousand events."""
    batch = items(count)
    for item in batch:
        item["data"]["description"] = "x" * 2048
    return batch


def received(backend: OtlpReceiver) -> Counter[str]:
    return Counter(str(value) for value in backend.log_attribute_values("auth0.log.id"))


def test_full_disk_answers_503_then_recovers_with_nothing_lost_or_duplicated(
    tmp_path: Path, small_disk: Path, otlp_receiver: OtlpReceiver
) -> None:
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * FILLER_MB * 1024 * 1024)
    port = free_port()
    config = {
        "state_dir": str(small_disk / "state"),
        "receivers": {"log_stream": stream_config(port, retry_after="1s")},
        "exporters": {"otlp": otlp_exporter(otlp_receiver.http_endpoint)},
        "queue": {"max_backoff": "1s", "batch_size": 200},
    }
    path = write_config(tmp_path / "config.yaml", config)
    otlp_receiver.set_failure("unavailable")  # the backend is down while the disk fills
    stored: set[str] = set()
    refused: list[list[dict[str, Any]]] = []
    with running_collector(path, tmp_path / "collector.log", port) as collector:
        for _ in range(200):
            batch = padded(BATCH)
            response = post_items(collector.stream_url, as_array(batch))
            if response.status_code == 200:
                stored |= {item["log_id"] for item in batch}
                continue
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"] == "1"
            assert response.json()["error"] == "storage", response.text
            refused.append(batch)
            if len(refused) == 3:
                break
        assert refused, "the disk never filled up"
        assert stored, "nothing was stored before the disk filled up"

        # The backend returns while the disk is still full: everything stored goes out once, even
        # though acknowledgements cannot be written yet.
        otlp_receiver.set_failure("ok")
        otlp_receiver.wait_for(lambda: stored <= set(received(otlp_receiver)), timeout=120)
        time.sleep(3)  # a livelocked worker would re-send within this time (max_backoff 1s)
        assert set(received(otlp_receiver).values()) == {1}
        still_full = post_items(collector.stream_url, as_array(refused[0]))
        assert still_full.status_code == 503

        # Space returns: the refused batches are redelivered (as Auth0 does) and accepted.
        filler.unlink()
        deadline = time.monotonic() + 120
        while refused and time.monotonic() < deadline:
            response = post_items(collector.stream_url, as_array(refused[0]))
            if response.status_code == 200:
                stored |= {item["log_id"] for item in refused.pop(0)}
            else:
                time.sleep(0.5)
        assert not refused, "the refused batches were never accepted after space returned"
        otlp_receiver.wait_for(lambda: stored <= set(received(otlp_receiver)), timeout=120)
        assert collector.terminate() == 0
        log = collector.stderr_text()
    counts = received(otlp_receiver)
    assert set(counts) == stored, "lost or unexpected events"
    assert set(counts.values()) == {1}, "duplicates"
    errors = [line for line in log.splitlines() if " ERROR " in line or "Traceback" in line]
    assert len(errors) < 10, "\n".join(errors[:20])
