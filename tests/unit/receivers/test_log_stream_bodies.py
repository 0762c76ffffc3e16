"""What the Log Stream receiver makes of unusual bodies and paths: every gzip member read, trailing bytes
refused, a trailing slash served and never redirected."""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from otel_auth0.receivers.log_stream import LogStreamReceiver
from otel_auth0.runtime import Pipeline
from tests.support.log_stream_receiver import make_receiver


def log_id(n: int) -> str:
    return f"90020261129000000{n:039d}"


def item(n: int, **data: Any) -> dict[str, Any]:
    return {"log_id": log_id(n), "data": {"type": "s", "date": "2026-11-29T00:00:00Z", **data}}


def array(first: int, count: int) -> bytes:
    return json.dumps([item(n) for n in range(first, first + count)]).encode()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, LogStreamReceiver, Pipeline]]:
    receiver, pipeline = make_receiver(tmp_path)
    with TestClient(receiver.app(), follow_redirects=False) as test_client:
        yield test_client, receiver, pipeline
    pipeline.queue.close()


def post(client: TestClient, body: bytes, path: str = "/auth0/logs", **headers: str) -> Any:
    sent = {"Authorization": "t", "Content-Type": "application/json", **headers}
    return client.post(path, content=body, headers=sent)


def test_every_gzip_member_is_read(client: tuple[TestClient, LogStreamReceiver, Pipeline]) -> None:
    test_client, _, pipeline = client
    lines = [json.dumps(item(n)).encode() + b"\n" for n in range(100)]
    body = gzip.compress(b"".join(lines[:50])) + gzip.compress(b"".join(lines[50:]))
    response = post(test_client, body, **{"Content-Encoding": "gzip"})
    assert response.json() == {"accepted": 100, "duplicates": 0, "rejected": 0}
    assert pipeline.queue.has_seen(log_id(99))
    # Members split anywhere across the transport's chunks (here: one byte at a time).
    chunked = gzip.compress(b"".join(lines[:3])) + gzip.compress(b"".join(lines[3:5]))
    response = test_client.post(
        "/auth0/logs",
        content=iter([bytes([byte]) for byte in chunked]),
        headers={"Authorization": "t", "Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert response.json() == {"accepted": 0, "duplicates": 5, "rejected": 0}


@pytest.mark.parametrize("trailer", [b"garbage", b"\x00" * 8, b"\x1f", b"\x1f\x8bnot gzip"])
def test_bytes_after_the_gzip_stream_are_a_400_naming_them(
    client: tuple[TestClient, LogStreamReceiver, Pipeline], trailer: bytes
) -> None:
    test_client, _, pipeline = client
    response = post(test_client, gzip.compress(array(1, 5)) + trailer, **{"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert response.json()["error"] == "bad_gzip"
    reason = response.json()["reason"]
    assert "trailing bytes after the gzip stream" in reason or "truncated" in reason or "gzip" in reason
    if not trailer.startswith(b"\x1f"):
        assert "trailing bytes after the gzip stream" in reason
    assert not pipeline.queue.has_seen(log_id(1))


def test_a_gzip_bomb_split_across_members_is_still_too_large(
    client: tuple[TestClient, LogStreamReceiver, Pipeline],
) -> None:
    test_client, _, _ = client
    member = gzip.compress(b" " * (4 * 1024 * 1024))
    response = post(
        test_client, gzip.compress(b"[") + member * 3 + gzip.compress(b"]"), **{"Content-Encoding": "gzip"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/auth0/logs", "/auth0/logs/"])
def test_a_trailing_slash_is_the_same_webhook_and_never_a_redirect(
    client: tuple[TestClient, LogStreamReceiver, Pipeline], path: str
) -> None:
    test_client, _, pipeline = client
    response = post(test_client, array(1, 2), path)
    assert response.status_code == 200, (response.status_code, response.headers)
    assert "location" not in response.headers
    assert response.json()["accepted"] == 2
    assert pipeline.queue.has_seen(log_id(2))


def test_other_paths_are_404_without_a_location(
    client: tuple[TestClient, LogStreamReceiver, Pipeline],
) -> None:
    test_client, _, _ = client
    for path in ("/healthz/", "/auth0/logs//", "/auth0"):
        response = post(test_client, array(1, 1), path)
        assert response.status_code in (404, 405) and "location" not in response.headers, path


DEEP = "__deep__"


def deep_json(value: Any, depth: int = 1100) -> str:
    """``json.dumps(value)`` with the string ``DEEP`` replaced by an object nested ``depth`` deep (too
    deep for ``json.dumps`` itself)."""
    return json.dumps(value).replace(json.dumps(DEEP), '{"d":' * depth + '"bottom"' + "}" * depth)


def dead_letters(tmp_path: Path) -> list[tuple[str | None, str]]:
    with sqlite3.connect(tmp_path / "state" / "queue.sqlite3") as db:
        return [(row[0], row[1]) for row in db.execute("SELECT log_id, detail FROM dead_letters ORDER BY id")]


def deep_batch(bad_at: int) -> list[dict[str, Any]]:
    batch = [item(n) for n in range(100)]
    batch[bad_at]["data"]["details"] = DEEP
    return batch


@pytest.mark.parametrize("bad_at", [0, 42, 99])
def test_one_item_nested_1100_deep_is_parked_and_the_other_99_accepted(
    client: tuple[TestClient, LogStreamReceiver, Pipeline], tmp_path: Path, bad_at: int
) -> None:
    test_client, _, pipeline = client
    response = post(test_client, deep_json(deep_batch(bad_at)).encode())
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 99, "duplicates": 0, "rejected": 1}
    assert not pipeline.queue.has_seen(log_id(bad_at)) and pipeline.queue.has_seen(log_id(bad_at ^ 1))
    assert dead_letters(tmp_path) == [(log_id(bad_at), f"item {bad_at}: JSON nested too deeply")]


@pytest.mark.parametrize("bad_at", [0, 42, 99])
def test_one_line_nested_1100_deep_is_parked_and_the_other_99_accepted(
    client: tuple[TestClient, LogStreamReceiver, Pipeline], tmp_path: Path, bad_at: int
) -> None:
    test_client, _, _ = client
    body = "\n".join(deep_json(line) for line in deep_batch(bad_at)).encode()
    response = post(test_client, body, **{"Content-Type": "application/x-ndjson"})
    assert response.json() == {"accepted": 99, "duplicates": 0, "rejected": 1}
    assert dead_letters(tmp_path) == [(log_id(bad_at), f"line {bad_at + 1}: JSON nested too deeply")]


@pytest.mark.parametrize("lines", [False, True])
def test_a_byte_that_is_not_utf8_parks_its_item_only(
    client: tuple[TestClient, LogStreamReceiver, Pipeline], tmp_path: Path, lines: bool
) -> None:
    test_client, _, pipeline = client
    encoded = [json.dumps(item(n, description=f"event {n} BAD")).encode() for n in range(100)]
    encoded[7] = encoded[7].replace(b"BAD", b"\xff\xfe")
    body = b"\n".join(encoded) if lines else b"[" + b", ".join(encoded) + b"]"
    response = post(test_client, body)
    assert response.json() == {"accepted": 99, "duplicates": 0, "rejected": 1}
    assert not pipeline.queue.has_seen(log_id(7)) and pipeline.queue.has_seen(log_id(8))
    [(parked_id, detail)] = dead_letters(tmp_path)
    assert parked_id == log_id(7)
    assert detail.startswith(f"{'line 8' if lines else 'item 7'}: a byte that is not UTF-8")


@pytest.mark.parametrize(
    "body",
    [
        b'[{"log_id": "a", "data": {"type": "s", "description": "\xff',  # the array never ends
        b"\xff\xfe\x00garbage",
        b'[{"log_id": "a"} {"\xff": 1}]',  # no comma: where does the item end?
    ],
)
def test_bad_bytes_where_items_cannot_be_told_apart_are_a_400_naming_them(
    client: tuple[TestClient, LogStreamReceiver, Pipeline], tmp_path: Path, body: bytes
) -> None:
    test_client, _, pipeline = client
    response = post(test_client, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_encoding"
    assert "not UTF-8 (byte " in response.json()["reason"]
    assert pipeline.queue.size == 0 and dead_letters(tmp_path) == []


CLOUDEVENT = {
    "specversion": "1.0",
    "type": "com.auth0.user.created",
    "source": "urn:auth0:example.auth0.com",
    "id": "evt_01J0000000000000000000000",
    "time": "2026-11-29T00:00:00Z",
    "data": {"object": {"user_id": "auth0|1", "email": "a@example.com"}},
}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (CLOUDEVENT, "application/json"),
        (CLOUDEVENT, "application/cloudevents+json"),
        ([CLOUDEVENT, {**CLOUDEVENT, "id": "evt_2"}], "application/cloudevents-batch+json"),
        ([CLOUDEVENT], "application/json"),
    ],
)
def test_an_event_streams_delivery_is_named_and_not_acknowledged(
    client: tuple[TestClient, LogStreamReceiver, Pipeline], tmp_path: Path, body: Any, content_type: str
) -> None:
    test_client, _, pipeline = client
    response = post(test_client, json.dumps(body).encode(), **{"Content-Type": content_type})
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "event_streams_delivery"
    reason = response.json()["reason"]
    assert "Auth0 Event Streams delivery" in reason and "receivers.event_stream" in reason
    assert "com.auth0.user.created" in reason
    assert pipeline.queue.size == 0 and dead_letters(tmp_path) == []


def test_a_binary_mode_cloudevent_is_named_too(
    client: tuple[TestClient, LogStreamReceiver, Pipeline], tmp_path: Path
) -> None:
    test_client, _, _ = client
    headers = {"ce-specversion": "1.0", "ce-type": "com.auth0.user.created", "ce-id": "1", "ce-source": "x"}
    response = post(test_client, json.dumps(CLOUDEVENT["data"]).encode(), **headers)
    assert response.status_code == 422 and response.json()["error"] == "event_streams_delivery"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"hello": "world"}, "item 0: event has no string `type`"),
        ([1, 2, 3], "item 0: expected a JSON object, got int (and 2 more)"),
        ([{"type": "s", "date": "2026-11-29T00:00:00Z"}], "item 0: no `log_id`"),
        ([{"data": DEEP}], "item 0: JSON nested too deeply"),
    ],
)
def test_a_body_without_any_log_item_is_a_422_naming_what_came(
    client: tuple[TestClient, LogStreamReceiver, Pipeline], tmp_path: Path, body: Any, named: str
) -> None:
    test_client, _, pipeline = client
    response = post(test_client, deep_json(body).encode())
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "not_log_items"
    assert named in response.json()["reason"] and "Nothing was stored" in response.json()["reason"]
    assert pipeline.queue.size == 0 and dead_letters(tmp_path) == []


def test_a_mixed_body_keeps_its_200_and_parks_the_cloudevent(
    client: tuple[TestClient, LogStreamReceiver, Pipeline], tmp_path: Path
) -> None:
    test_client, _, _ = client
    response = post(test_client, json.dumps([CLOUDEVENT, item(1), item(2)]).encode())
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": 1}
    [(_, detail)] = dead_letters(tmp_path)
    assert detail.startswith("item 0: a CloudEvent (Auth0 Event Streams) of type 'com.auth0.user.created'")
    assert post(test_client, b"[]").json() == {"accepted": 0, "duplicates": 0, "rejected": 0}
