"""Auth0's SDK behind this project's rate-limit transport and error mapping (mock transport), and the
window walk of log search beyond the 1,000-result cap against a small in-test search server."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from otel_auth0.auth0.log_window import SEARCH_CAP, read_window
from otel_auth0.auth0.management import Auth0Error
from otel_auth0.auth0.sdk import MAX_ATTEMPTS, SdkSession, call, every_item
from otel_auth0.config import Auth0Config

CONFIG = Auth0Config(domain="tenant.test", client_id="id", client_secret="secret")
TOKEN = {"access_token": "t", "expires_in": 86400, "token_type": "Bearer"}


def session(handler: Any, waits: list[float], deadline: float | None = None) -> SdkSession:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json=TOKEN)
        assert request.headers["authorization"] == "Bearer t"
        return handler(request)  # type: ignore[no-any-return]

    return SdkSession(CONFIG, deadline, httpx.MockTransport(route), waits.append)


def test_429_waits_for_the_announced_reset_then_succeeds() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"retry-after": "3"}, json={"statusCode": 429}),
            httpx.Response(
                429,
                headers={"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "0"},
                json={"statusCode": 429},
            ),
            httpx.Response(200, headers={"x-ratelimit-limit": "10", "x-ratelimit-remaining": "9"}, json={}),
        ]
    )
    waits: list[float] = []
    with session(lambda request: next(answers), waits) as sdk:
        assert call(sdk.api.tenants.settings.get) is not None
    assert 3 <= waits[0] < 3.3 and waits[1] < 0.3  # Retry-After, then a reset already due (plus jitter)
    assert sdk.stats.retries == 2 and [r.remaining for r in sdk.stats.rate_limits] == [0, 9]


def test_a_storm_gives_up_after_the_attempts_as_auth0_error() -> None:
    waits: list[float] = []
    limited = httpx.Response(429, headers={"retry-after": "1"}, json={"statusCode": 429, "error": "Too Many"})
    with session(lambda request: limited, waits) as sdk, pytest.raises(Auth0Error) as raised:
        call(sdk.api.tenants.settings.get)
    assert raised.value.status == 429 and raised.value.retryable
    assert len(waits) == MAX_ATTEMPTS - 1 and sdk.stats.gave_up


def test_the_deadline_stops_waiting() -> None:
    waits: list[float] = []
    limited = httpx.Response(429, headers={"retry-after": "30"}, json={"statusCode": 429})
    with session(lambda r: limited, waits, time.monotonic() + 5) as sdk, pytest.raises(Auth0Error):
        call(sdk.api.tenants.settings.get)
    assert waits == [] and "deadline" in str(sdk.stats.gave_up)


def test_403_body_becomes_a_readable_error() -> None:
    body = {
        "statusCode": 403,
        "error": "Forbidden",
        "message": "Insufficient scope, expected any of: read:clients",
    }
    refuse = httpx.Response(403, json={**body, "errorCode": "insufficient_scope"})
    pattern = r"insufficient_scope: Insufficient scope.*read:clients"
    with session(lambda r: refuse, []) as sdk, pytest.raises(Auth0Error, match=pattern) as raised:
        call(lambda: sdk.api.clients.list(per_page=100))
    assert raised.value.status == 403 and not raised.value.retryable


def test_every_item_reads_every_page() -> None:
    rows = [{"client_id": f"c{i}", "name": f"app {i}"} for i in range(150)]
    pages: list[int] = []

    def clients(request: httpx.Request) -> httpx.Response:
        page, per_page = int(request.url.params["page"]), int(request.url.params["per_page"])
        pages.append(page)
        chunk = rows[page * per_page : (page + 1) * per_page]
        return httpx.Response(
            200, json={"start": page * per_page, "limit": per_page, "total": 150, "clients": chunk}
        )

    with session(clients, []) as sdk:
        items = call(lambda: every_item(sdk.api.clients.list(page=0, per_page=100, include_totals=True)))
    assert [c.client_id for c in items] == [r["client_id"] for r in rows] and pages == [0, 1]


def _search_server(events: list[dict[str, Any]], fail_after: int | None = None) -> Any:
    """Auth0's search mode for ``q=date:[a TO b]``, ``sort=date:1``, with the 1,000-result cap."""
    served = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if fail_after is not None and len(served) >= fail_after:
            return httpx.Response(
                503, json={"statusCode": 503, "error": "Service Unavailable", "message": "x"}
            )
        low, high = params["q"].removeprefix("date:[").removesuffix("]").split(" TO ")
        page, per_page = int(params["page"]), int(params["per_page"])
        if page * per_page >= SEARCH_CAP:
            return httpx.Response(400, json={"statusCode": 400, "error": "Bad Request", "message": "cap"})
        hits = sorted((e for e in events if low <= e["date"] <= high), key=lambda e: (e["date"], e["log_id"]))
        hits = hits[:SEARCH_CAP]
        served.append(page)
        return httpx.Response(
            200, json={"logs": hits[page * per_page : (page + 1) * per_page], "total": len(hits)}
        )

    return handler


def _events(start: datetime, count: int) -> list[dict[str, Any]]:
    events = []
    for index in range(count):
        when = start + timedelta(seconds=index // 3)  # three events share each instant
        stamp = when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        events.append({"log_id": f"{index:06d}", "date": stamp, "type": "s"})
    return events


def test_read_window_walks_past_the_search_cap_exactly_once_per_event() -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    events = _events(since, 2500)
    until = since + timedelta(hours=1)
    with session(_search_server(events), []) as sdk:
        read = read_window(sdk, since, until)
    assert read.complete and read.unread() is None
    assert [e["log_id"] for e in read.events] == [e["log_id"] for e in events]


def test_read_window_stopped_by_failures_names_the_unread_part() -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    until = since + timedelta(hours=1)
    with session(_search_server(_events(since, 2500), fail_after=4), [], time.monotonic() + 60) as sdk:
        read = read_window(sdk, since, until)
    assert not read.complete and len(read.events) == 400 and "503" in str(read.stopped)
    unread = read.unread()
    assert unread is not None and unread[1] == until and unread[0] == since + timedelta(seconds=133)


def test_an_answer_outside_auth0s_schema_is_a_clear_error() -> None:
    wrong = httpx.Response(200, json={"clients": "not a list"})
    with session(lambda r: wrong, []) as sdk, pytest.raises(Auth0Error, match="does not match") as raised:
        call(lambda: sdk.api.clients.list(per_page=100, include_totals=True))
    assert not raised.value.retryable


def test_a_write_is_not_resent_after_a_5xx() -> None:
    sent: list[str] = []

    def jobs(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        return httpx.Response(503, json={"statusCode": 503, "error": "Service Unavailable", "message": "x"})

    with session(jobs, []) as sdk, pytest.raises(Auth0Error) as raised:
        call(lambda: sdk.api.jobs.verification_email.create(user_id="auth0|1"))
    assert sent == ["POST"] and raised.value.status == 503
