"""log_stream receiver: absurd log ids never move the stream position, abandoned uploads are no
errors, and repeated 503s cost one log line."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from otel_auth0.receivers.log_stream import CHECKPOINT, RejectedRequest
from tests.support.log_stream_receiver import make_receiver

ABSURD = "9" * 56


def log_id(n: int) -> str:
    return f"90020261129000000{n:039d}"


def item(value: str) -> dict[str, Any]:
    return {"log_id": value, "data": {"type": "s", "date": "2026-11-29T00:00:00Z"}}


def post(client: TestClient, body: bytes) -> Any:
    return client.post(
        "/auth0/logs", content=body, headers={"Authorization": "t", "Content-Type": "application/json"}
    )


def test_an_absurd_log_id_is_delivered_but_never_becomes_the_stream_position(tmp_path: Path) -> None:
    receiver, pipeline = make_receiver(tmp_path, "2s")
    with TestClient(receiver.app()) as client:
        answer = post(client, json.dumps([item(log_id(1)), item(ABSURD), item(log_id(2))]).encode())
    assert answer.json() == {"accepted": 3, "duplicates": 0, "rejected": 0}
    assert receiver._progress.highest_log_id == log_id(2)
    checkpoint = pipeline.queue.get_checkpoint(CHECKPOINT)
    assert checkpoint is not None and checkpoint.value == log_id(2)
    pipeline.queue.close()


def test_an_absurd_persisted_position_is_ignored_at_start(tmp_path: Path) -> None:
    _first, pipeline = make_receiver(tmp_path, "2s")
    pipeline.queue.set_checkpoint(CHECKPOINT, ABSURD)  # written by an older version
    pipeline.queue.close()
    again, pipeline = make_receiver(tmp_path, "2s")
    assert again._progress.highest_log_id is None
    pipeline.queue.close()


def test_an_abandoned_upload_is_no_error_and_logs_no_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    receiver, pipeline = make_receiver(tmp_path, "2s")

    async def disconnect() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": "POST", "path": "/auth0/logs", "headers": []}

    async def abandon() -> None:
        for _ in range(3):
            with pytest.raises(RejectedRequest) as caught:
                await receiver._read_body(Request(scope, disconnect))
            assert caught.value.error == "client_disconnect"

    with caplog.at_level(logging.INFO):
        asyncio.run(abandon())
    lines = [record for record in caplog.records if "went away" in record.getMessage()]
    assert len(lines) == 1 and not lines[0].exc_info and lines[0].levelno == logging.INFO
    pipeline.queue.close()


def test_repeated_503s_are_one_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    receiver, pipeline = make_receiver(tmp_path, "2s", max_items=1)
    with caplog.at_level(logging.WARNING), TestClient(receiver.app()) as client:
        assert post(client, json.dumps(item(log_id(1))).encode()).status_code == 200
        answers = [post(client, json.dumps(item(log_id(n))).encode()) for n in range(2, 12)]
    assert {answer.status_code for answer in answers} == {503}
    assert {answer.headers["Retry-After"] for answer in answers} == {"2"}
    lines = [r.getMessage() for r in caplog.records if "answering 503" in r.getMessage()]
    assert len(lines) == 1 and "queue_full" in lines[0]
    pipeline.queue.close()
