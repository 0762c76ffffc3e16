"""``otel-auth0 run`` exporting over each OTLP protocol (gzip) to the test receiver, which refuses for
good every request holding one poisoned event: that row is parked, everything else is delivered, and a
partial success is counted, not retried — real processes, real sockets."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from google.protobuf.message import Message

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


def parked_rows(state_dir: Path) -> int:
    """Rows in the queue database's ``rejected`` table (read-only, beside the running collector)."""
    path = state_dir / "queue.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COUNT(*) FROM rejected").fetchone()[0])


def poisoned(signal: str, request: Message) -> bool:
    return b"POISONED" in request.SerializeToString()


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_a_refused_row_is_parked_and_the_rest_delivered(
    tmp_path: Path, otlp_receiver: OtlpReceiver, protocol: str
) -> None:
    port, state_dir = free_port(), tmp_path / "state"
    endpoint = otlp_receiver.grpc_endpoint if protocol == "grpc" else otlp_receiver.http_endpoint
    config = {
        "state_dir": str(state_dir),
        "receivers": {"log_stream": stream_config(port)},
        "exporters": {"otlp": {**otlp_exporter(endpoint, protocol), "compression": "gzip"}},
    }
    path = write_config(tmp_path / "config.yaml", config)
    otlp_receiver.set_refusal(poisoned)
    good, bad = items(4), items(1)
    bad[0]["data"]["description"] = "POISONED event"
    with running_collector(path, tmp_path / "collector.log", port) as collector:
        for batch in (good[:2], bad, good[2:]):  # one queue row per POST
            assert post_items(collector.stream_url, as_array(batch)).status_code == 200
        expected = {item["log_id"] for item in good}
        otlp_receiver.wait_for(
            lambda: expected <= {str(v) for v in otlp_receiver.log_attribute_values("auth0.log.id")},
            timeout=60,
        )
        otlp_receiver.wait_for(lambda: parked_rows(state_dir) == 1, timeout=60)
        received = [str(v) for v in otlp_receiver.log_attribute_values("auth0.log.id")]
        assert sorted(received) == sorted(expected)
        assert otlp_receiver.refused_count >= 1
        assert "parked in the queue's `rejected` table" in collector.stderr_text()

        otlp_receiver.set_refusal(None)
        otlp_receiver.set_partial_success(1, "one record over the size limit")
        more = items(2)
        requests_before = otlp_receiver.request_count
        assert post_items(collector.stream_url, as_array(more)).status_code == 200
        otlp_receiver.wait_for(lambda: set(received_ids_of(otlp_receiver)) >= {i["log_id"] for i in more}, 60)
        assert collector.terminate() == 0
    log = (tmp_path / "collector.log").read_text()
    log_requests = [r for r in otlp_receiver.requests[requests_before:] if r.signal == "logs"]
    # One warning per partially accepted logs request; none of them was sent again.
    assert log.count("dropped 1 logs: one record over the size limit") == len(log_requests) >= 1
    assert sorted(received_ids_of(otlp_receiver)) == sorted(expected | {i["log_id"] for i in more})
    assert parked_rows(state_dir) == 1


def received_ids_of(receiver: OtlpReceiver) -> list[str]:
    return [str(value) for value in receiver.log_attribute_values("auth0.log.id")]
