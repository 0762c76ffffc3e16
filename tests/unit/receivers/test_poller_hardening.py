"""The logs_api poller against a mocked Management API (httpx MockTransport): a poison event, a failing
step, an absurd log id, a foreign ``Link`` and a 429 storm never stop it or lead it astray."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from otel_auth0.auth0.management import Auth0Error, ManagementClient
from otel_auth0.collector_config import parse_config
from otel_auth0.receivers.base import Services, StreamProgress
from otel_auth0.receivers.log_ids import CLOCK_SKEW, TenantPrefix, is_cursor_log_id
from otel_auth0.receivers.log_stream import highest_cursor
from otel_auth0.receivers.logs_api import CHECKPOINT, HISTORY_CHECKPOINT, HISTORY_DONE, LogsApiReceiver
from otel_auth0.receivers.logs_api_config import LogsApiConfig
from otel_auth0.runtime import Pipeline

DOMAIN = "tenant.us.auth0.com"
ABSURD = "9" * 56


def log_id(n: int) -> str:
    return f"90020260101000000{n:039d}"


def event(n: int, **fields: Any) -> dict[str, Any]:
    return {"log_id": log_id(n), "type": "s", "date": "2026-01-01T00:00:00.000Z", **fields}


class Tenant:
    """Serves ``events`` as checkpoint pages (sorted by log id, as Auth0 does) and records requests."""

    def __init__(self, events: list[dict[str, Any]], link: Callable[[str, int], str] | None = None) -> None:
        self.events = sorted(events, key=lambda e: (len(e["log_id"]), e["log_id"]))
        self.requests: list[httpx.Request] = []
        self.link = link or (lambda last, take: f"https://{DOMAIN}/api/v2/logs?from={last}&take={take}")

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 86400})
        if request.url.host != DOMAIN:
            return httpx.Response(200, json=[])
        params = request.url.params
        if "from" not in params:
            rows = self.events[:1] if params.get("sort") == "date:1" else self.events[::-1]
            return httpx.Response(
                200, content=json.dumps(rows).encode(), headers={"content-type": "application/json"}
            )
        after, take = params["from"], int(params.get("take", "50"))
        page = [e for e in self.events if (len(e["log_id"]), e["log_id"]) > (len(after), after)][:take]
        last = page[-1]["log_id"] if page else after
        # The surrogate must travel escaped, as Auth0 sends it.
        return httpx.Response(
            200,
            content=json.dumps(page).encode(),
            headers={"content-type": "application/json", "link": f'<{self.link(last, take)}>; rel="next"'},
        )

    def log_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == "/api/v2/logs"]


def make_receiver(
    tmp_path: Path, tenant: Tenant, progress: StreamProgress | None = None, **logs_api: Any
) -> tuple[LogsApiReceiver, Pipeline]:
    receivers: dict[str, Any] = {
        "logs_api": {"interval": "50ms", "take": 3, "start_from": "oldest", **logs_api}
    }
    if progress is not None:
        receivers["log_stream"] = {"listen": "127.0.0.1:0", "token": "t"}
    config = parse_config(
        {
            "auth0": {"domain": DOMAIN, "client_id": "id", "client_secret": "secret"},
            "state_dir": str(tmp_path / "state"),
            "receivers": receivers,
            "exporters": {"file": {"path": str(tmp_path / "out.jsonl")}},
        }
    )
    pipeline = Pipeline.create(config)
    services = Services(
        "logs_api", pipeline.intake, pipeline.instruments, auth0=config.auth0, stream_progress=progress
    )
    settings = config.receivers.section(LogsApiConfig)
    assert config.auth0 is not None and settings is not None
    client = ManagementClient(config.auth0, transport=httpx.MockTransport(tenant.handler))
    return LogsApiReceiver(settings, services, client), pipeline


async def run_until(receiver: LogsApiReceiver, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(receiver.run(stop))
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline and not task.done():
        await asyncio.sleep(0.01)
    stop.set()
    await task
    assert condition(), "condition not reached"


def test_a_poison_event_is_parked_and_the_following_events_keep_flowing(tmp_path: Path) -> None:
    events = [event(n) for n in range(1, 8)]
    events[2]["description"] = "\ud800"  # normalised
    events[4] = {"log_id": log_id(5), "type": 12}  # not an Auth0 event: parked
    tenant = Tenant(events)
    receiver, pipeline = make_receiver(tmp_path, tenant)
    asyncio.run(run_until(receiver, lambda: pipeline.intake.accepted_total == 6))
    assert [(row[1], row[2]) for row in pipeline.queue.dead_letters()] == [(log_id(5), "bad_item")]
    checkpoint = pipeline.queue.get_checkpoint(CHECKPOINT)
    assert checkpoint is not None and checkpoint.value == log_id(7)


def test_an_absurd_log_id_never_moves_the_cursor(tmp_path: Path) -> None:
    tenant = Tenant([event(1), event(2), {"log_id": ABSURD, "type": "s"}])
    receiver, pipeline = make_receiver(tmp_path, tenant)
    asyncio.run(run_until(receiver, lambda: len(tenant.log_requests()) >= 5))
    assert pipeline.queue.has_seen(ABSURD)  # the event itself is delivered
    checkpoint = pipeline.queue.get_checkpoint(CHECKPOINT)
    assert checkpoint is not None and checkpoint.value == log_id(2)
    assert all(r.url.params.get("from") != ABSURD for r in tenant.log_requests())


def test_an_absurd_stream_position_does_not_turn_gap_filling_off(tmp_path: Path) -> None:
    tenant = Tenant([event(n) for n in range(1, 5)])
    progress = StreamProgress(highest_log_id=ABSURD, last_received=time.time() - 600)
    receiver, pipeline = make_receiver(tmp_path, tenant, progress, gap_fill_after="0s")
    asyncio.run(run_until(receiver, lambda: pipeline.intake.accepted_total == 4))


def test_log_id_sanity() -> None:
    now = time.time()
    assert is_cursor_log_id(log_id(1), now)
    assert not is_cursor_log_id(ABSURD, now)
    assert not is_cursor_log_id(log_id(1)[:-1], now)
    assert not is_cursor_log_id(
        "900" + time.strftime("%Y%m%d%H%M%S", time.gmtime(now + 7200)) + "0" * 39, now
    )
    assert is_cursor_log_id("900" + time.strftime("%Y%m%d%H%M%S", time.gmtime(now + 60)) + "0" * 39, now)


def test_a_link_to_another_origin_is_not_followed_and_never_gets_the_token(tmp_path: Path) -> None:
    tenant = Tenant(
        [event(n) for n in range(1, 8)],
        link=lambda last, take: f"https://evil.example/api/v2/logs?from={last}&take={take}",
    )
    receiver, pipeline = make_receiver(tmp_path, tenant)
    asyncio.run(run_until(receiver, lambda: pipeline.intake.accepted_total == 7))
    assert all(request.url.host == DOMAIN for request in tenant.requests)


def test_the_client_refuses_to_send_its_token_elsewhere() -> None:
    async def scenario() -> None:
        tenant = Tenant([])
        config = parse_config({"auth0": {"domain": DOMAIN, "client_id": "i", "client_secret": "s"}})
        assert config.auth0 is not None
        client = ManagementClient(config.auth0, transport=httpx.MockTransport(tenant.handler))
        with pytest.raises(Auth0Error, match="refusing"):
            await client.get("https://evil.example/api/v2/logs?from=1")
        await client.aclose()
        assert tenant.requests == []

    asyncio.run(scenario())


@pytest.mark.parametrize("announced", [4.0, 0.5, 30.0])
def test_rate_limit_waits_follow_the_announced_reset(tmp_path: Path, announced: float) -> None:
    receiver, _ = make_receiver(tmp_path, Tenant([]))
    waits = [
        receiver._failure_wait(Auth0Error("429", status=429, retryable=True, retry_after=announced))
        for _ in range(10)
    ]
    assert all(announced <= wait <= announced + 1.0 for wait in waits), waits


def test_without_a_usable_reset_the_wait_backs_off(tmp_path: Path) -> None:
    receiver, _ = make_receiver(tmp_path, Tenant([]), max_backoff="60s")
    waits = [
        receiver._failure_wait(Auth0Error("429", status=429, retryable=True, retry_after=None))
        for _ in range(7)
    ]
    assert waits[-1] >= 16  # exponential: 1, 2, 4, ... 64 capped at 60, each with jitter down to half
    wrong = receiver._failure_wait(Auth0Error("429", status=429, retryable=True, retry_after=0.0))
    assert wrong >= 30  # a reset in the past is no help: the backoff goes on


FORGED = "999" + "20260101000000" + "0" * 39


def ahead_by(seconds: float) -> str:
    return "900" + time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() + seconds)) + "0" * 39


def test_the_cursor_check_wants_the_tenants_prefix_and_at_most_five_minutes_of_skew() -> None:
    """Issue 25.2: Auth0's exact layout, the tenant's prefix, no later than the clock plus CLOCK_SKEW."""
    now = time.time()
    assert CLOCK_SKEW == 300.0
    assert is_cursor_log_id(FORGED, now)  # the layout alone cannot tell
    assert not is_cursor_log_id(FORGED, now, prefix="900")
    assert is_cursor_log_id(log_id(1), now, prefix="900")
    assert not is_cursor_log_id(ahead_by(59 * 60), now, prefix="900")
    assert is_cursor_log_id(ahead_by(4 * 60), now, prefix="900")
    assert not is_cursor_log_id("\uff19" * 56, now)  # digits, but not ASCII ones


def test_the_tenant_prefix_is_learned_from_the_api_and_the_stream_cannot_override_it() -> None:
    prefix = TenantPrefix()
    assert prefix.learn([FORGED, log_id(1), log_id(2)], from_api=False)  # the majority wins
    assert (prefix.value, prefix.from_api) == ("900", False)
    assert prefix.learn(["800" + log_id(1)[3:]], from_api=True)  # the Management API is the authority
    assert not prefix.learn([log_id(1), log_id(2)], from_api=False)
    assert not prefix.learn([log_id(1), log_id(2)], from_api=True)
    assert TenantPrefix.parse(prefix.stored()) == prefix
    assert TenantPrefix.parse("9x9 api") == TenantPrefix()


def test_a_forged_prefix_never_moves_the_cursor_and_later_events_are_fetched(tmp_path: Path) -> None:
    """Issue 25.2: a page ending in a forged id: the id is delivered, the cursor stays on the real ids,
    the poller does not spin on the page, and events logged later are all fetched."""
    tenant = Tenant([event(n) for n in range(1, 4)] + [{"log_id": FORGED, "type": "s"}])
    receiver, pipeline = make_receiver(tmp_path, tenant)
    asyncio.run(run_until(receiver, lambda: pipeline.queue.has_seen(FORGED)))
    tenant.events = sorted([*tenant.events, *(event(n) for n in range(4, 14))], key=lambda e: e["log_id"])
    asyncio.run(run_until(receiver, lambda: all(pipeline.queue.has_seen(log_id(n)) for n in range(4, 14))))
    checkpoint = pipeline.queue.get_checkpoint(CHECKPOINT)
    assert checkpoint is not None and checkpoint.value == log_id(13)
    assert all(r.url.params.get("from") != FORGED for r in tenant.log_requests())
    pipeline.queue.close()


def test_a_stream_position_under_another_prefix_is_not_a_gap_fill_start(tmp_path: Path) -> None:
    tenant = Tenant([event(n) for n in range(1, 6)])
    progress = StreamProgress(highest_log_id=FORGED, last_received=time.time() - 600)
    receiver, pipeline = make_receiver(tmp_path, tenant, progress, gap_fill_after="0s")
    pipeline.intake.set_checkpoint(HISTORY_CHECKPOINT, HISTORY_DONE)
    asyncio.run(run_until(receiver, lambda: pipeline.intake.accepted_total == 5))
    assert all(r.url.params.get("from") != FORGED for r in tenant.log_requests())
    pipeline.queue.close()


def test_the_streams_highest_log_id_ignores_a_forged_prefix() -> None:
    now = time.time()
    assert highest_cursor([log_id(3), FORGED], None, now, "900") == log_id(3)
    assert highest_cursor([log_id(3), ahead_by(59 * 60)], log_id(2), now, "900") == log_id(3)
    # A highest from before the prefix was known is dropped once it is.
    assert highest_cursor([log_id(3)], FORGED, now, "900") == log_id(3)
