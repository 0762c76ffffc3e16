"""log_stream receiver pieces: Authorization check, body parsing, 503 on a full queue or shutdown."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from otel_auth0.receivers.log_stream import (
    CHECKPOINT,
    LogStreamReceiver,
    RejectedRequest,
    highest_cursor,
    parse_events,
    token_matches,
)
from otel_auth0.receivers.stream_progress import StreamProgress
from otel_auth0.runtime import Pipeline
from tests.support.log_stream_receiver import make_receiver


def log_id(n: int) -> str:
    return f"90020261129000000{n:039d}"


def item(n: int, **data: Any) -> dict[str, Any]:
    return {"log_id": log_id(n), "data": {"type": "s", "date": "2026-11-29T00:00:00Z", **data}}


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("s3cret", True),
        ("Bearer s3cret", True),
        ("bearer s3cret", True),
        ("s3cret ", False),
        ("Bearer x", False),
        ("Basic s3cret", False),
        ("", False),
        (None, False),
        ("s3cret\u00e9", False),
    ],
)
def test_token_is_accepted_verbatim_or_as_bearer(header: str | None, ok: bool) -> None:
    assert token_matches(header, "s3cret") is ok


def test_a_configured_bearer_value_matches_itself() -> None:
    assert token_matches("Bearer abc", "Bearer abc")


def events(body: bytes) -> list[dict[str, Any]]:
    parsed, parked = parse_events(body)
    assert parked == []
    return parsed


def test_all_three_formats_and_bare_events_parse() -> None:
    array = json.dumps([item(1), item(2)]).encode()
    lines = b"\n".join(json.dumps(i).encode() for i in (item(1), item(2))) + b"\n"
    single = json.dumps(item(1)).encode()
    bare = json.dumps([item(1)["data"] | {"log_id": log_id(1)}]).encode()
    assert [e["log_id"] for e in events(array)] == [log_id(1), log_id(2)]
    assert [e["log_id"] for e in events(lines)] == [log_id(1), log_id(2)]
    assert [e["log_id"] for e in events(b"\xef\xbb\xbf" + single)] == [log_id(1)]
    assert events(bare)[0]["type"] == "s"
    assert events(b"[]") == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "empty body"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2", "not JSON"),
        (b"[" + b"9" * 5000 + b"]", "not JSON"),
        (b"not json\n" + json.dumps(item(1)).encode(), "line 1"),
    ],
)
def test_bodies_that_are_not_json_at_all_are_rejected_with_a_reason(body: bytes, fragment: str) -> None:
    with pytest.raises(RejectedRequest) as caught:
        parse_events(body)
    assert caught.value.status == 400
    assert fragment in caught.value.reason


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (json.dumps([item(1), {"data": {"type": "s"}}]).encode(), "item 1: no `log_id`"),
        (json.dumps([item(1), {"log_id": 5, "data": {"type": "s"}}]).encode(), "item 1"),
        (json.dumps([item(1), 7]).encode(), "item 1: expected a JSON object"),
        (json.dumps(item(1)).encode() + b"\nnot json", "line 2: not JSON"),
    ],
)
def test_items_that_are_not_events_are_parked_and_the_rest_kept(body: bytes, fragment: str) -> None:
    parsed, parked = parse_events(body)
    assert [event["log_id"] for event in parsed] == [log_id(1)]
    assert len(parked) == 1 and parked[0].reason == "bad_item"
    assert fragment in parked[0].detail


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, LogStreamReceiver, Pipeline]]:
    receiver, pipeline = make_receiver(tmp_path, max_items=3)
    with TestClient(receiver.app()) as test_client:
        yield test_client, receiver, pipeline
    pipeline.queue.close()


def post(client: TestClient, body: bytes, **headers: str) -> Any:
    sent = {"Authorization": "t", "Content-Type": "application/json", **headers}
    return client.post("/auth0/logs", content=body, headers=sent)


def test_full_queue_answers_503_with_retry_after_and_keeps_nothing(
    client: tuple[TestClient, LogStreamReceiver, Pipeline],
) -> None:
    test_client, receiver, pipeline = client
    accepted = post(test_client, json.dumps([item(1), item(2)]).encode())
    assert accepted.json() == {"accepted": 2, "duplicates": 0, "rejected": 0}
    full = post(test_client, json.dumps([item(3), item(4)]).encode())
    assert full.status_code == 503
    assert full.headers["Retry-After"] == "3"
    assert not pipeline.queue.has_seen(log_id(3)) and pipeline.queue.size == 2
    progress: StreamProgress = receiver._progress
    assert progress.highest_log_id == log_id(2)
    checkpoint = pipeline.queue.get_checkpoint(CHECKPOINT)
    assert checkpoint is not None and checkpoint.value == log_id(2)
    assert progress.last_received is not None and progress.last_received <= time.time()


def test_gzip_and_shutdown_answers_503(client: tuple[TestClient, LogStreamReceiver, Pipeline]) -> None:
    test_client, receiver, _ = client
    body = gzip.compress(json.dumps(item(7)).encode())
    assert post(test_client, body, **{"Content-Encoding": "gzip"}).json() == {
        "accepted": 1,
        "duplicates": 0,
        "rejected": 0,
    }
    truncated = gzip.compress(json.dumps(item(8)).encode())[:-8]
    assert post(test_client, truncated, **{"Content-Encoding": "gzip"}).status_code == 400
    receiver._closing = True
    closing = post(test_client, json.dumps(item(9)).encode())
    assert closing.status_code == 503 and closing.headers["Retry-After"] == "3"
    assert test_client.get("/healthz").status_code == 503


def test_progress_is_restored_from_the_checkpoint(tmp_path: Path) -> None:
    receiver, pipeline = make_receiver(tmp_path)
    with TestClient(receiver.app()) as test_client:
        post(test_client, json.dumps([item(5), item(3)]).encode())
    pipeline.queue.close()
    again, pipeline2 = make_receiver(tmp_path)
    assert again._progress.highest_log_id == log_id(5)
    assert again._progress.last_received is None  # the stream gets gap_fill_after to show up again
    pipeline2.queue.close()


def test_the_cursor_moves_to_the_highest_usable_log_id_only() -> None:
    now = time.time()
    absurd = "9" * 56
    assert highest_cursor([log_id(3), absurd, log_id(7), log_id(5)], log_id(4), now) == log_id(7)
    assert highest_cursor([log_id(2), log_id(3), absurd], log_id(4), now) == log_id(4)
    assert highest_cursor([log_id(2), "not-a-log-id"], None, now) == log_id(2)
    assert highest_cursor([absurd, log_id(2)[:-1]], None, now) is None
    assert highest_cursor([], log_id(1), now) == log_id(1)
