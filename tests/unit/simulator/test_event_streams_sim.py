"""The simulator's Event Streams: lifecycle CloudEvents from its traffic, and the Management API's
event-stream, delivery-history and redelivery routes, their bodies parsed with Auth0's SDK types."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from auth0.management.types import (
    GetEventStreamDeliveryHistoryResponseContent,
    GetEventStreamResponseContent,
    ListEventStreamDeliveriesResponseContent,
    ListEventStreamsResponseContent,
)
from pydantic import TypeAdapter

from otel_auth0_sim.app import create_app
from otel_auth0_sim.event_streams import (
    STREAM_ID,
    EventStreamsState,
    EventStreamTarget,
    lifecycle_change,
)
from otel_auth0_sim.middleware import ControlAccess
from otel_auth0_sim.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, TenantState
from otel_auth0_sim.traffic import TrafficGenerator, emit
from tests.support.sim_app import DOMAIN, app_client

pytestmark = pytest.mark.anyio
BASE = f"/api/v2/event-streams/{STREAM_ID}"


@pytest.fixture
def streams(state: TenantState) -> EventStreamsState:
    streams = EventStreamsState(state)
    streams.target = EventStreamTarget("http://127.0.0.1:9/auth0/events", "t")
    return streams


@pytest.fixture
async def client(state: TenantState, streams: EventStreamsState) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(state, controls=ControlAccess(enabled=True), event_streams=streams)
    async with app_client(app) as test_client:
        body = {"grant_type": "client_credentials", "client_id": DEFAULT_CLIENT_ID}
        body |= {"client_secret": DEFAULT_CLIENT_SECRET, "audience": f"https://{DOMAIN}/api/v2/"}
        token = (await test_client.post("/oauth/token", json=body)).json()["access_token"]
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


def parsed(model: Any, body: Any) -> Any:
    return TypeAdapter(model).validate_python(body)


def test_user_lifecycle_log_events_become_cloudevents(
    state: TenantState, generator: TrafficGenerator
) -> None:
    streams = EventStreamsState(state)
    stored = emit(state, generator, 400)
    assert streams.collect() == sum(1 for event in stored if lifecycle_change(event) is not None) > 0
    kinds = {event["type"] for event in streams.events}
    assert kinds <= {"user.created", "user.updated", "user.deleted"} and "user.created" in kinds
    event = streams.events[0]
    assert len(event["id"]) == 26 and event["id"].startswith("evt_")
    assert event["specversion"] == "1.0" and event["source"] == f"urn:auth0:{state.hostname}"
    assert event["a0stream"] == STREAM_ID and event["a0tenant"] == state.tenant_name
    assert event["data"]["object"]["user_id"]
    assert streams.collect() == 0  # each log event once


async def test_failed_deliveries_are_listed_filtered_and_redelivered(
    client: httpx.AsyncClient, streams: EventStreamsState
) -> None:
    created = streams.emit("user.created", 3)
    deleted = streams.emit("user.deleted", 2)
    streams.record(created + deleted, "HTTP 503")
    streams.record(created[:1], None)  # delivered on a retry: no longer failed

    stream = (await client.get(BASE)).json()
    assert parsed(GetEventStreamResponseContent, stream).id == STREAM_ID
    assert "token" not in str(stream)
    listed = (await client.get("/api/v2/event-streams")).json()
    assert STREAM_ID in [s.id for s in parsed(ListEventStreamsResponseContent, listed).event_streams]

    page = (await client.get(f"{BASE}/deliveries", params={"statuses": "failed", "take": 3})).json()
    first = parsed(ListEventStreamDeliveriesResponseContent, page)
    assert [d.id for d in first.deliveries] == [e["id"] for e in created[1:] + deleted[:1]]
    assert first.next == deleted[1]["id"]
    rest = (await client.get(f"{BASE}/deliveries", params={"take": 3, "from": first.next})).json()
    assert [d["id"] for d in rest["deliveries"]] == [deleted[1]["id"]] and "next" not in rest
    only = (await client.get(f"{BASE}/deliveries", params={"event_types": "user.deleted"})).json()
    assert [d["id"] for d in only["deliveries"]] == [e["id"] for e in deleted]
    later = (await client.get(f"{BASE}/deliveries", params={"date_from": "2999-01-01T00:00:00Z"})).json()
    assert later == {"deliveries": []}
    sub_second = await client.get(f"{BASE}/deliveries", params={"date_from": "2026-01-01T00:00:00.5Z"})
    assert sub_second.status_code == 400
    history = (await client.get(f"{BASE}/deliveries/{deleted[0]['id']}")).json()
    one = parsed(GetEventStreamDeliveryHistoryResponseContent, history)
    assert one.attempts[0].status == "failed" and one.attempts[0].error_message == "HTTP 503"

    assert (await client.post(f"{BASE}/redeliver/{deleted[0]['id']}")).status_code == 202
    assert (await client.post(f"{BASE}/redeliver/{created[0]['id']}")).status_code == 404  # not failed
    many = await client.post(f"{BASE}/redeliver", json={"event_types": ["user.created"]})
    assert many.status_code == 202 and many.json() == {"event_types": ["user.created"]}
    assert list(streams.redeliver) == [deleted[0]["id"], created[1]["id"], created[2]["id"]]
    assert (await client.get("/api/v2/event-streams/est_0000000000000000000999")).status_code == 404


async def test_the_routes_need_their_scopes(client: httpx.AsyncClient) -> None:
    client.headers.pop("Authorization")
    assert (await client.get(f"{BASE}/deliveries")).status_code == 401
    assert (await client.post(f"{BASE}/redeliver")).status_code == 401
