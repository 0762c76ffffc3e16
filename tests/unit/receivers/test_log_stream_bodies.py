"""What the Log Stream receiver makes of unusual bodies and paths: every gzip member read, trailing bytes
refused, a trailing slash served and never redirected."""

from __future__ import annotations

import gzip
import json
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
