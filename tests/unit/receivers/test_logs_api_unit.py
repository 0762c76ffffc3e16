"""logs_api receiver against a mocked Management API (httpx MockTransport): cursor, pacing, errors."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from otel_auth0.auth0.management import Auth0Error, ManagementClient
from otel_auth0.collector_config import parse_config
from otel_auth0.receivers.base import Services
from otel_auth0.receivers.logs_api import CHECKPOINT, RATE_LIMIT_CHECKPOINT, LogsApiReceiver, log_id_before
from otel_auth0.receivers.logs_api_config import LogsApiConfig
from otel_auth0.runtime import Pipeline

DOMAIN = "tenant.us.auth0.com"


def log_id(n: int) -> str:
    return f"90020260101000000{n:039d}"


EVENTS = [{"log_id": log_id(n), "type": "s", "date": "2026-01-01T00:00:00.000Z"} for n in range(1, 8)]


class FakeTenant:
    """Serves checkpoint pages of EVENTS, plus scripted failures, and records every request."""

    def __init__(self, failures: list[httpx.Response] | None = None, remaining: int = 10) -> None:
        self.failures = list(failures or [])
        self.requests: list[httpx.Request] = []
        self.tokens = 0
        self.remaining = remaining

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/oauth/token":
            self.tokens += 1
            return httpx.Response(200, json={"access_token": f"t{self.tokens}", "expires_in": 86400})
        if self.failures:
            return self.failures.pop(0)
        headers = {
            "x-ratelimit-limit": "10",
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(int(time.time())),
        }
        params = request.url.params
        if "from" not in params:  # search mode, used to resolve start_from
            return httpx.Response(
                200, json=EVENTS[:1] if params.get("sort") == "date:1" else EVENTS[::-1], headers=headers
            )
        after = params["from"]
        take = int(params.get("take", "50"))
        page = [event for event in EVENTS if event["log_id"] > after][:take]
        last = page[-1]["log_id"] if page else after
        headers["link"] = f'<https://{DOMAIN}/api/v2/logs?from={last}&take={take}>; rel="next"'
        return httpx.Response(200, json=page, headers=headers)


def make_receiver(tmp_path: Path, tenant: FakeTenant, **logs_api: Any) -> tuple[LogsApiReceiver, Pipeline]:
    config = parse_config(
        {
            "auth0": {"domain": DOMAIN, "client_id": "id", "client_secret": "secret"},
            "state_dir": str(tmp_path / "state"),
            "receivers": {"logs_api": {"interval": "50ms", "take": 3, "start_from": "oldest", **logs_api}},
            "exporters": {"file": {"path": str(tmp_path / "out.jsonl")}},
        }
    )
    pipeline = Pipeline.create(config)
    services = Services("logs_api", pipeline.intake, pipeline.instruments, auth0=config.auth0)
    settings = config.receivers.section(LogsApiConfig)
    assert config.auth0 is not None and settings is not None
    client = ManagementClient(config.auth0, transport=httpx.MockTransport(tenant.handler))
    return LogsApiReceiver(settings, services, client), pipeline


async def run_until(receiver: LogsApiReceiver, condition: Any, timeout: float = 5.0) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(receiver.run(stop))
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    stop.set()
    await task
    assert condition(), "condition not reached"


def test_pages_are_followed_and_cursor_committed(tmp_path: Path) -> None:
    tenant = FakeTenant()
    receiver, pipeline = make_receiver(tmp_path, tenant)
    asyncio.run(run_until(receiver, lambda: pipeline.intake.accepted_total == 7))
    checkpoint = pipeline.queue.get_checkpoint(CHECKPOINT)
    assert checkpoint is not None and checkpoint.value == log_id(7)
    assert tenant.tokens == 1, "the token is cached across pages"
    froms = [r.url.params.get("from") for r in tenant.requests if "from" in r.url.params]
    assert froms[:3] == ["90020260101000000" + "0" * 39, log_id(3), log_id(6)]


def test_restart_resumes_from_the_checkpoint(tmp_path: Path) -> None:
    receiver, pipeline = make_receiver(tmp_path, FakeTenant())
    pipeline.start()
    asyncio.run(run_until(receiver, lambda: pipeline.intake.accepted_total == 7))
    assert pipeline.drain_and_close(5)
    tenant = FakeTenant()
    again, pipeline2 = make_receiver(tmp_path, tenant)
    asyncio.run(run_until(again, lambda: len(tenant.requests) >= 3))
    assert pipeline2.intake.accepted_total == 0
    assert all(r.url.params.get("from") == log_id(7) for r in tenant.requests if "from" in r.url.params)


def test_latest_starts_after_the_newest_event(tmp_path: Path) -> None:
    tenant = FakeTenant()
    receiver, pipeline = make_receiver(tmp_path, tenant, start_from="latest")
    asyncio.run(run_until(receiver, lambda: len(tenant.requests) >= 4))
    assert pipeline.intake.accepted_total == 0
    assert pipeline.queue.get_checkpoint(CHECKPOINT) is not None


def test_server_errors_and_429_are_retried_with_backoff(tmp_path: Path) -> None:
    reset = str(int(time.time()))
    tenant = FakeTenant(
        failures=[
            httpx.Response(503, text="upstream down"),
            httpx.Response(
                429,
                json={"statusCode": 429, "error": "Too Many Requests"},
                headers={"x-ratelimit-reset": reset},
            ),
        ]
    )
    receiver, pipeline = make_receiver(tmp_path, tenant)
    receiver._schedule.backoff.initial = 0.01
    asyncio.run(run_until(receiver, lambda: pipeline.intake.accepted_total == 7))
    assert receiver.rate_limited == 1


def test_exhausted_bucket_waits_for_reset(tmp_path: Path) -> None:
    tenant = FakeTenant(remaining=0)
    receiver, pipeline = make_receiver(tmp_path, tenant)
    started = time.monotonic()
    asyncio.run(run_until(receiver, lambda: pipeline.intake.accepted_total == 7, timeout=10))
    # reset is "now" (rounded down), so each wait is short but the receiver did not hammer the API
    assert len([r for r in tenant.requests if "from" in r.url.params]) <= 4
    assert time.monotonic() - started < 10


def test_token_is_refreshed_once_on_401(tmp_path: Path) -> None:
    tenant = FakeTenant(failures=[httpx.Response(401, json={"statusCode": 401})])
    receiver, pipeline = make_receiver(tmp_path, tenant)
    asyncio.run(run_until(receiver, lambda: pipeline.intake.accepted_total == 7))
    assert tenant.tokens == 2


def test_client_errors_are_not_retryable() -> None:
    async def scenario() -> None:
        transport = httpx.MockTransport(
            lambda request: (
                httpx.Response(200, json={"access_token": "t", "expires_in": 60})
                if request.url.path == "/oauth/token"
                else httpx.Response(403, json={"error": "Forbidden", "message": "Insufficient scope"})
            )
        )
        config = parse_config({"auth0": {"domain": DOMAIN, "client_id": "i", "client_secret": "s"}})
        assert config.auth0 is not None
        client = ManagementClient(config.auth0, transport=transport)
        with pytest.raises(Auth0Error) as caught:
            await client.get("/api/v2/logs")
        assert not caught.value.retryable and "Insufficient scope" in str(caught.value)
        await client.aclose()

    asyncio.run(scenario())


def test_log_id_before_uses_the_tenant_prefix() -> None:
    from datetime import UTC, datetime

    cursor = log_id_before("80020210116121232" + "7" * 39, datetime(2021, 1, 16, 12, 0, tzinfo=UTC))
    assert cursor == "80020210116120000" + "0" * 39
    assert cursor < "80020210116121232" + "7" * 39


def test_an_empty_bucket_is_stored_and_the_next_poller_waits_for_its_reset(tmp_path: Path) -> None:
    """A restart, or another replica taking the poller over, starts from the stored rate-limit state
    and does not spend the tenant's Management API budget before the bucket refills."""
    tenant = FakeTenant(remaining=0)
    receiver, pipeline = make_receiver(tmp_path, tenant)
    asyncio.run(run_until(receiver, lambda: pipeline.queue.get_checkpoint(RATE_LIMIT_CHECKPOINT) is not None))
    stored = pipeline.queue.get_checkpoint(RATE_LIMIT_CHECKPOINT)
    assert stored is not None and json.loads(stored.value)["remaining"] == 0
    empty_for_10_minutes = {"remaining": 0, "reset": time.time() + 600}
    pipeline.queue.set_checkpoint(RATE_LIMIT_CHECKPOINT, json.dumps(empty_for_10_minutes))
    pipeline.queue.close()
    fresh = FakeTenant()
    again, pipeline2 = make_receiver(tmp_path, fresh)

    async def a_while() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(again.run(stop))
        await asyncio.sleep(0.5)  # what it would do meanwhile; nothing, while the bucket is empty
        stop.set()
        await task

    asyncio.run(a_while())
    assert [r for r in fresh.requests if r.url.path == "/api/v2/logs"] == []
    # Once the stored reset has passed, polling goes on (and clears the stored state).
    refilled = {"remaining": 0, "reset": time.time() - 1}
    pipeline2.queue.set_checkpoint(RATE_LIMIT_CHECKPOINT, json.dumps(refilled))

    def cleared() -> bool:
        stored = pipeline2.queue.get_checkpoint(RATE_LIMIT_CHECKPOINT)
        return stored is not None and json.loads(stored.value)["remaining"] is None

    asyncio.run(run_until(again, cleared))
    assert [r for r in fresh.requests if r.url.path == "/api/v2/logs"]
