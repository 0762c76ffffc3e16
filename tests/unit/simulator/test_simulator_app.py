"""The simulator's HTTP surface, in-process: token endpoint, logs API modes, control endpoints."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from otel_auth0_sim.app import create_app
from otel_auth0_sim.log_stream_push import StreamTarget, encode_batch
from otel_auth0_sim.middleware import ControlAccess
from otel_auth0_sim.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, TenantState
from otel_auth0_sim.traffic import TrafficGenerator, emit
from tests.support.sim_app import DOMAIN, app_client

AUDIENCE = f"https://{DOMAIN}/api/v2/"


pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(state: TenantState, generator: TrafficGenerator) -> AsyncIterator[httpx.AsyncClient]:
    emit(state, generator, 120)
    async with app_client(create_app(state, generator, ControlAccess(enabled=True))) as test_client:
        yield test_client


async def _token(client: httpx.AsyncClient) -> dict[str, str]:
    body = {
        "grant_type": "client_credentials",
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
    }
    response = await client.post("/oauth/token", data={**body, "audience": AUDIENCE})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_token_endpoint_json_form_and_errors(client: httpx.AsyncClient) -> None:
    good = {
        "grant_type": "client_credentials",
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "audience": AUDIENCE,
    }
    for response in (
        await client.post("/oauth/token", json=good),
        await client.post("/oauth/token", data=good),
    ):
        assert response.status_code == 200
        body = response.json()
        assert body["expires_in"] == 86400 and body["token_type"] == "Bearer" and "read:logs" in body["scope"]
    bad_secret = await client.post("/oauth/token", json={**good, "client_secret": "nope"})
    assert bad_secret.status_code == 401
    assert bad_secret.json() == {"error": "access_denied", "error_description": "Unauthorized"}
    bad_audience = await client.post("/oauth/token", json={**good, "audience": f"http://{DOMAIN}/api/v2/"})
    assert bad_audience.status_code == 403 and bad_audience.json()["error"] == "access_denied"
    assert (await client.post("/oauth/token", json={**good, "grant_type": "implicit"})).json()[
        "error"
    ] == "unsupported_grant_type"
    garbled = await client.post(
        "/oauth/token", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert garbled.status_code == 400 and garbled.json()["error"] == "invalid_request"


async def test_checkpoint_mode_pages_follow_link_until_caught_up(
    client: httpx.AsyncClient, state: TenantState
) -> None:
    headers = await _token(client)
    url, seen = "/api/v2/logs?take=25", []
    while True:
        response = await client.get(url, headers=headers)
        assert response.status_code == 200
        page = response.json()
        next_url = response.links["next"]["url"]
        assert next_url.startswith(f"http://{DOMAIN}/api/v2/logs?from=") or not page
        if not page:
            assert next_url == f"http://{DOMAIN}{url}" or next_url == url
            break
        assert all(row["_id"] == row["log_id"] for row in page)
        seen += [row["log_id"] for row in page]
        url = next_url
    assert seen == [e["log_id"] for e in state.events] and len(seen) == 120


async def test_checkpoint_from_id_and_validation(client: httpx.AsyncClient, state: TenantState) -> None:
    headers = await _token(client)
    middle = state.events[59]["log_id"]
    page = (await client.get(f"/api/v2/logs?from={middle}&take=100", headers=headers)).json()
    assert [r["log_id"] for r in page] == [e["log_id"] for e in state.events[60:]]
    assert (await client.get("/api/v2/logs?from=1&take=101", headers=headers)).status_code == 400
    bad = await client.get("/api/v2/logs?from=abc&take=5", headers=headers)
    assert bad.status_code == 400 and bad.json()["statusCode"] == 400 and "from" in bad.json()["message"]


async def test_search_mode_filters_sorts_pages_and_totals(
    client: httpx.AsyncClient, state: TenantState
) -> None:
    headers = await _token(client)
    logins = [e for e in state.events if e["type"] == "s"]
    response = await client.get(
        "/api/v2/logs",
        params={"q": "type:s", "sort": "date:1", "per_page": 5, "page": 1, "include_totals": "true"},
        headers=headers,
    )
    body = response.json()
    assert (body["start"], body["limit"], body["total"]) == (5, 5, len(logins))
    dates = [r["date"] for r in body["logs"]]
    assert dates == sorted(dates) and all(r["type"] == "s" for r in body["logs"])
    client_id = logins[0]["client_id"]
    rows = (
        await client.get(
            "/api/v2/logs",
            params={"q": f"type:s AND client_id:{client_id}", "fields": "type,client_id"},
            headers=headers,
        )
    ).json()
    assert rows and all(set(r) == {"type", "client_id"} and r["client_id"] == client_id for r in rows)
    bad = await client.get("/api/v2/logs", params={"q": "bogus:1"}, headers=headers)
    assert bad.status_code == 400 and "unsupported search field" in bad.json()["message"]


async def test_single_log_and_auth_errors(client: httpx.AsyncClient, state: TenantState) -> None:
    headers = await _token(client)
    log_id = state.events[3]["log_id"]
    assert (await client.get(f"/api/v2/logs/{log_id}", headers=headers)).json()["log_id"] == log_id
    missing = await client.get("/api/v2/logs/900" + "0" * 53, headers=headers)
    assert missing.status_code == 404 and missing.json()["error"] == "Not Found"
    for bad_headers in ({}, {"Authorization": "Bearer forged"}):
        response = await client.get("/api/v2/logs?take=1", headers=bad_headers)
        assert response.status_code == 401
        assert response.json()["error"] == "Unauthorized"
        assert "x-ratelimit-remaining" in response.headers


async def test_injected_faults_then_recovery_and_stats(client: httpx.AsyncClient) -> None:
    headers = await _token(client)
    fault = {"path_prefix": "/api/v2/logs", "status": 503, "count": 2}
    assert (await client.post("/_sim/faults", json=fault)).status_code == 200
    statuses = [(await client.get("/api/v2/logs?take=1", headers=headers)).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    await client.post(
        "/_sim/faults", json={"path_prefix": "/api/v2/logs", "status": 429, "count": 1, "reset_after": 5}
    )
    limited = await client.get("/api/v2/logs?take=1", headers=headers)
    assert limited.status_code == 429 and limited.headers["x-ratelimit-remaining"] == "0"
    assert limited.json()["message"] == "Global limit has been reached"
    stats = (await client.get("/_sim/stats")).json()
    assert stats["requests"]["/api/v2/logs"] == {"200": 1, "429": 1, "503": 2}
    assert stats["faults_injected"] == 3 and stats["generated"] == 120


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_sim/faults", {"path_prefix": "api", "status": 503}),
        ("/_sim/faults", {"path_prefix": "/api", "status": 200}),
        ("/_sim/events", {"events": [{"no": "type"}]}),
        ("/_sim/events", {"generate": -1}),
        ("/_sim/stream", {"paused": "yes"}),
        ("/_sim/profile", {"profile": "odd"}),
    ],
)
async def test_control_endpoints_reject_bad_input(
    client: httpx.AsyncClient, path: str, body: dict[str, Any]
) -> None:
    response = await client.post(path, json=body)
    assert response.status_code == 400 and response.json()["error"]


async def test_injected_events_get_log_ids_in_order(client: httpx.AsyncClient, state: TenantState) -> None:
    response = await client.post("/_sim/events", json={"events": [{"type": "s", "description": "mine"}]})
    [log_id] = response.json()["log_ids"]
    assert state.events[-1]["log_id"] == log_id and state.events[-1]["description"] == "mine"
    assert len((await client.post("/_sim/events", json={"generate": 3})).json()["log_ids"]) == 3
    assert (await client.get("/_sim/log-ids")).json()["log_ids"] == [e["log_id"] for e in state.events]


def test_stream_body_formats() -> None:
    events = [{"log_id": "1", "type": "s"}, {"log_id": "2", "type": "f"}]
    items = [{"log_id": e["log_id"], "data": e} for e in events]
    assert json.loads(encode_batch(events, "jsonarray")) == items
    assert [json.loads(line) for line in encode_batch(events, "jsonlines").splitlines()] == items
    assert json.loads(encode_batch(events[:1], "jsonobject")) == items[0]
    with pytest.raises(ValueError):
        encode_batch(events, "jsonobject")
    assert StreamTarget("http://x", "t", "jsonobject", batch_size=20).items_per_post == 1
    with pytest.raises(ValueError, match="format"):
        StreamTarget("http://x", "t", "xml")
