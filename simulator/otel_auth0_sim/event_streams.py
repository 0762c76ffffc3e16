"""Auth0 Event Streams of the simulated tenant: CloudEvents for its user lifecycle traffic, pushed to a
webhook with a bearer token, the delivery history and redelivery of the Management API.

Lifecycle events come from the tenant's own log: a signup (``ss``) and a Management API user creation
(``sapi`` ``POST /api/v2/users``) become ``user.created``, a ``PATCH /api/v2/users/{id}``
``user.updated``, a ``DELETE`` ``user.deleted`` (``POST /_sim/event-streams/emit`` adds any type of
Auth0's catalog). Each is one CloudEvent 1.0 (``evt_`` id of 26 characters, ``source``
``urn:auth0:<host>``, ``a0tenant``, ``a0stream``), delivered as Auth0 does at least once: a failed
attempt (non-2xx or network error) is retried ``retries`` times with backoff, after which the delivery
stays *failed*. Failed deliveries are listed by ``GET /api/v2/event-streams/{id}/deliveries`` (filters
``statuses``, ``event_types``, ``date_from``, ``date_to`` on the event time; ``from``/``take`` paging,
``{"deliveries", "next"}``) and redelivered on ``POST .../redeliver`` (filters, 202) or
``POST .../redeliver/{event_id}`` (202); a successful redelivery removes it from the list.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
import string
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from otel_auth0_sim.management_api import BadRequest, api_error, int_param, management_route
from otel_auth0_sim.management_config import PLAN_MESSAGES, checkpoint_page
from otel_auth0_sim.profiles import tenant_config
from otel_auth0_sim.state import Event, TenantState

STREAM_ID = "est_0000000000000000000001"
FORMATS = ("json", "cloudevents", "batch")
CONTENT_TYPES = {
    "json": "application/json",
    "cloudevents": "application/cloudevents+json",
    "batch": "application/cloudevents-batch+json",
}
EVENT_TYPES = (
    "user.created",
    "user.updated",
    "user.deleted",
    "organization.created",
    "organization.updated",
    "organization.deleted",
    "organization.member.added",
    "organization.member.deleted",
    "organization.member.role.assigned",
    "organization.member.role.deleted",
    "organization.connection.added",
    "organization.connection.updated",
    "organization.connection.removed",
    "group.created",
    "group.updated",
    "group.deleted",
    "group.member.added",
    "group.member.deleted",
    "group.role.assigned",
    "group.role.deleted",
    "connection.created",
    "connection.updated",
    "connection.deleted",
)
_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class EventStreamTarget:
    """The webhook destination: URL, bearer token, body format and Auth0's retries."""

    url: str
    token: str
    format: str = "json"
    batch_size: int = 20
    retries: int = 3
    backoff: float = 0.5

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"event stream format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if self.batch_size < 1 or self.retries < 0 or self.backoff < 0:
            raise ValueError("event stream batch size must be >= 1, retries and backoff >= 0")


def event_id(seed: str) -> str:
    """A stable ``evt_`` id (26 characters, as Auth0's) derived from ``seed``."""
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:17], "big")
    chars = []
    for _ in range(22):
        number, digit = divmod(number, len(_ALNUM))
        chars.append(_ALNUM[digit])
    return "evt_" + "".join(chars)


def _user_object(user_id: str, email: str | None, connection: str | None, when: str) -> dict[str, Any]:
    provider, _, raw_id = user_id.partition("|")
    user: dict[str, Any] = {"user_id": user_id, "created_at": when, "updated_at": when}
    if email:
        user.update(email=email, email_verified=False, name=email, nickname=email.split("@", 1)[0])
    if connection:
        user["identities"] = [
            {
                "connection": connection,
                "provider": provider,
                "user_id": raw_id,
                "isSocial": provider != "auth0",
            }
        ]
    return user


def lifecycle_change(event: Event) -> tuple[str, dict[str, Any]] | None:
    """The Event Streams type and ``data.object`` of a tenant log event, if it is a user lifecycle change."""
    when = str(event.get("date"))
    if event.get("type") == "ss" and isinstance(event.get("user_id"), str):
        user = _user_object(event["user_id"], event.get("user_name"), event.get("connection"), when)
        return "user.created", user
    if event.get("type") != "sapi":
        return None
    request = (event.get("details") or {}).get("request") or {}
    method, path = str(request.get("method", "")).lower(), str(request.get("path", ""))
    if method == "post" and path == "/api/v2/users":
        user_id = "auth0|" + hashlib.sha256(str(event.get("log_id")).encode()).hexdigest()[:24]
        return "user.created", _user_object(user_id, None, "Username-Password-Authentication", when)
    prefix = "/api/v2/users/"
    if path.startswith(prefix) and "/" not in path[len(prefix) :]:
        user_id = path[len(prefix) :]
        if method == "patch":
            return "user.updated", _user_object(user_id, None, None, when)
        if method == "delete":
            return "user.deleted", {"user_id": user_id, "deleted_at": when}
    return None


@dataclass
class Delivery:
    """One event's delivery record: its failed attempts; ``failed`` while it is not delivered."""

    event: dict[str, Any]
    attempts: list[dict[str, Any]] = field(default_factory=list)
    failed: bool = False

    def as_json(self, stream_id: str) -> dict[str, Any]:
        """Auth0's ``EventStreamDelivery`` body."""
        return {
            "id": self.event["id"],
            "event_stream_id": stream_id,
            "status": "failed",
            "event_type": self.event["type"],
            "attempts": self.attempts,
            "event": self.event,
        }


class EventStreamsState:
    """The tenant's webhook event stream: its events, delivery records and redelivery requests."""

    def __init__(self, state: TenantState, stream_id: str = STREAM_ID) -> None:
        self.state = state
        self.stream_id = stream_id
        self.target: EventStreamTarget | None = None
        self.events: list[dict[str, Any]] = []
        self.deliveries: dict[str, Delivery] = {}
        self.redeliver: deque[str] = deque()
        self.pending: deque[dict[str, Any]] = deque()
        self.log_cursor: str | None = None
        self.posts = 0
        self.delivered = 0
        self.failures = 0
        self.created_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._rng = random.Random()

    def stream(self) -> dict[str, Any]:
        """The stream as ``GET /api/v2/event-streams/{id}`` answers (the token is never returned)."""
        endpoint = (
            self.target.url if self.target is not None else "https://hooks.example-sim.test/auth0/events"
        )
        return {
            "id": self.stream_id,
            "name": "otel-auth0",
            "subscriptions": [{"event_type": kind} for kind in EVENT_TYPES],
            "destination": {
                "type": "webhook",
                "configuration": {
                    "webhook_endpoint": endpoint,
                    "webhook_authorization": {"method": "bearer"},
                },
            },
            "status": "enabled",
            "created_at": self.created_at,
            "updated_at": self.created_at,
        }

    def cloud_event(self, kind: str, obj: dict[str, Any], when: str, seed: str) -> dict[str, Any]:
        """A CloudEvent of this stream."""
        state = self.state
        return {
            "id": event_id(f"{self.stream_id}:{seed}"),
            "source": f"urn:auth0:{state.hostname}",
            "specversion": "1.0",
            "type": kind,
            "time": when,
            "data": {"object": obj},
            "a0tenant": state.tenant_name,
            "a0stream": self.stream_id,
        }

    def collect(self) -> int:
        """Turn the tenant log events since the last call into pending CloudEvents; returns how many."""
        added = 0
        while batch := self.state.events_after(self.log_cursor, 500):
            self.log_cursor = batch[-1]["log_id"]
            for log_event in batch:
                change = lifecycle_change(log_event)
                if change is not None:
                    self.add(self.cloud_event(*change, str(log_event["date"]), str(log_event["log_id"])))
                    added += 1
        return added

    def add(self, event: dict[str, Any]) -> None:
        """Store ``event`` and queue its first delivery."""
        self.events.append(event)
        self.pending.append(event)

    def emit(self, kind: str, count: int) -> list[dict[str, Any]]:
        """``count`` events of ``kind`` about synthetic users, organizations or groups (control endpoint)."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        made = []
        for _ in range(count):
            serial = self._rng.getrandbits(64)
            user = f"auth0|{serial:024x}"[:30]
            obj: dict[str, Any]
            if kind.startswith("user."):
                obj = _user_object(
                    user, f"sim.user{serial % 10**6}@example.com", "Username-Password-Authentication", now
                )
            elif kind.startswith("organization."):
                org = {"id": f"org_{serial:016x}", "name": f"org-{serial % 1000}"}
                obj = {"organization": org, "user": {"user_id": user}} if ".member." in kind else org
            elif kind.startswith("group."):
                group = {"id": f"grp_{serial:016x}", "name": f"group-{serial % 1000}"}
                obj = {"group": group, "member": {"user_id": user}} if ".member." in kind else group
            else:
                obj = {"id": f"con_{serial:016x}", "name": f"connection-{serial % 1000}"}
            event = self.cloud_event(kind, obj, now, f"emit:{serial}")
            self.add(event)
            made.append(event)
        return made

    def record(self, events: list[dict[str, Any]], error: str | None) -> None:
        """One delivery attempt of ``events``: on success they leave the failed list."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        for event in events:
            delivery = self.deliveries.get(event["id"])
            if error is None:
                if delivery is not None:
                    delivery.failed = False
                continue
            if delivery is None:
                delivery = self.deliveries[event["id"]] = Delivery(event)
            delivery.failed = True
            delivery.attempts.append({"status": "failed", "timestamp": now, "error_message": error})
        if error is None:
            self.delivered += len(events)
        else:
            self.failures += 1

    def failed(self) -> list[Delivery]:
        """Failed deliveries, oldest event first."""
        return sorted((d for d in self.deliveries.values() if d.failed), key=lambda d: d.event["time"])

    def stats(self) -> dict[str, Any]:
        """What ``GET /_sim/event-streams`` shows."""
        return {
            "stream_id": self.stream_id,
            "configured": self.target is not None,
            "events": [event["id"] for event in self.events],
            "posts": self.posts,
            "delivered": self.delivered,
            "failures": self.failures,
            "failed": [delivery.event["id"] for delivery in self.failed()],
            "pending": len(self.pending),
        }


class EventStreamPusher:
    """Delivers the stream's events to its webhook: new ones with retries, redeliveries once each."""

    def __init__(
        self, streams: EventStreamsState, target: EventStreamTarget, client: httpx.AsyncClient
    ) -> None:
        self.streams = streams
        self.target = target
        self.client = client
        streams.target = target

    async def run(self) -> None:
        """Deliver forever (until cancelled)."""
        streams = self.streams
        while True:
            streams.collect()
            if streams.redeliver:
                ids = [
                    streams.redeliver.popleft() for _ in range(min(len(streams.redeliver), self._per_post))
                ]
                events = [streams.deliveries[i].event for i in ids if i in streams.deliveries]
                if events:
                    await self._post(events)
                continue
            if streams.pending:
                batch = [streams.pending.popleft() for _ in range(min(len(streams.pending), self._per_post))]
                await self._deliver(batch)
                continue
            streams.state.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(streams.state.changed.wait(), 0.2)

    @property
    def _per_post(self) -> int:
        return self.target.batch_size if self.target.format == "batch" else 1

    async def _deliver(self, events: list[dict[str, Any]]) -> None:
        """First delivery of ``events``: retried ``retries`` times with backoff, then left failed."""
        for attempt in range(self.target.retries + 1):
            if await self._post(events):
                return
            if attempt < self.target.retries:
                await asyncio.sleep(self.target.backoff * 2**attempt)

    async def _post(self, events: list[dict[str, Any]]) -> bool:
        fmt = self.target.format
        body = json.dumps(events if fmt == "batch" else events[0]).encode()
        headers = {"Content-Type": CONTENT_TYPES[fmt], "Authorization": f"Bearer {self.target.token}"}
        error: str | None
        try:
            response = await self.client.post(self.target.url, content=body, headers=headers)
            error = None if response.is_success else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        self.streams.posts += 1
        self.streams.record(events, error)
        return error is None


def _instant(request: Request, name: str) -> str | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    return _checked_instant(raw, name)


def _checked_instant(raw: str, name: str) -> str:
    if len(raw) > 20 or "." in raw:
        raise BadRequest(
            f"Query validation error: '{name}' must be an RFC-3339 date-time without sub-seconds"
        )
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"Query validation error: '{name}' is not an RFC-3339 date-time: {raw!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _matching(
    deliveries: list[Delivery], types: list[str] | None, date_from: str | None, date_to: str | None
) -> list[Delivery]:
    return [
        d
        for d in deliveries
        if (types is None or d.event["type"] in types)
        and (date_from is None or d.event["time"] >= date_from)
        and (date_to is None or d.event["time"] < date_to)
    ]


def _csv(request: Request, name: str) -> list[str] | None:
    raw = request.query_params.get(name)
    return [part.strip() for part in raw.split(",") if part.strip()] if raw else None


def event_stream_routes(state: TenantState, streams: EventStreamsState) -> list[Route]:
    """``/api/v2/event-streams/{id}``, its deliveries and redelivery routes, and ``/_sim/event-streams``."""

    def known(request: Request) -> Response | None:
        if request.path_params["id"] != streams.stream_id:
            return api_error(404, "The event stream does not exist", "inexistent_event_stream")
        return None

    async def get_stream(request: Request) -> Response:
        return known(request) or JSONResponse(streams.stream())

    async def deliveries(request: Request) -> Response:
        missing = known(request)
        if missing is not None:
            return missing
        statuses = _csv(request, "statuses")
        if statuses is not None and set(statuses) - {"failed"}:
            raise BadRequest("Query validation error: 'statuses' must be failed")
        rows = _matching(
            streams.failed(),
            _csv(request, "event_types"),
            _instant(request, "date_from"),
            _instant(request, "date_to"),
        )
        take = int_param(request, "take", 50, 1, 100)
        start = 0
        cursor = request.query_params.get("from")
        if cursor:
            ids = [row.event["id"] for row in rows]
            if cursor not in ids:
                raise BadRequest(f"Query validation error: 'from' is not a valid checkpoint: {cursor!r}")
            start = ids.index(cursor)
        chunk = rows[start : start + take]
        body: dict[str, Any] = {"deliveries": [row.as_json(streams.stream_id) for row in chunk]}
        if start + take < len(rows):
            body["next"] = rows[start + take].event["id"]
        return JSONResponse(body)

    async def delivery(request: Request) -> Response:
        missing = known(request)
        if missing is not None:
            return missing
        found = streams.deliveries.get(request.path_params["event_id"])
        if found is None:
            return api_error(404, "The delivery does not exist", "inexistent_delivery")
        return JSONResponse(found.as_json(streams.stream_id))

    async def redeliver_many(request: Request) -> Response:
        missing = known(request)
        if missing is not None:
            return missing
        try:
            body = await request.json() if await request.body() else {}
        except ValueError:
            raise BadRequest("Payload validation error: body is not JSON") from None
        if not isinstance(body, dict) or set(body) - {"date_from", "date_to", "statuses", "event_types"}:
            raise BadRequest("Payload validation error: only date_from, date_to, statuses and event_types")
        date_from = _checked_instant(body["date_from"], "date_from") if body.get("date_from") else None
        date_to = _checked_instant(body["date_to"], "date_to") if body.get("date_to") else None
        for row in _matching(streams.failed(), body.get("event_types"), date_from, date_to):
            if row.event["id"] not in streams.redeliver:
                streams.redeliver.append(row.event["id"])
        streams.state.changed.set()
        return JSONResponse(body, status_code=202)

    async def redeliver_one(request: Request) -> Response:
        missing = known(request)
        if missing is not None:
            return missing
        event = request.path_params["event_id"]
        found = streams.deliveries.get(event)
        if found is None or not found.failed:
            return api_error(404, "No failed delivery of this event", "inexistent_delivery")
        if event not in streams.redeliver:
            streams.redeliver.append(event)
        streams.state.changed.set()
        return Response(status_code=202)

    async def sim_stats(request: Request) -> Response:
        if request.method == "POST":
            payload = await request.json()
            kind, count = payload.get("emit"), int(payload.get("count", 1))
            if kind not in EVENT_TYPES or not 1 <= count <= 10_000:
                return JSONResponse({"error": f"emit must be one of {', '.join(EVENT_TYPES)}"}, 400)
            made = streams.emit(kind, count)
            streams.state.changed.set()
            return JSONResponse({"emitted": [event["id"] for event in made]})
        if streams.target is not None:
            streams.collect()
        return JSONResponse(streams.stats())

    async def list_streams(request: Request) -> Response:
        config = tenant_config(state.profile, f"{state.scheme}://{state.domain}")
        if "event_streams" in config["plan_lacks"]:
            return api_error(403, PLAN_MESSAGES["event_streams"], "operation_not_supported")
        return checkpoint_page(request, [*config["event_streams"], streams.stream()], "eventStreams")

    base = "/api/v2/event-streams/{id}"
    # With a webhook configured, the list shows its stream after the profile's (this route then comes
    # before the profile-only one of management_config).
    listing = [management_route(state, "/api/v2/event-streams", list_streams, scope="read:event_streams")]
    return [
        *(listing if streams.target is not None else []),
        management_route(state, base, get_stream, scope="read:event_streams"),
        management_route(state, f"{base}/deliveries", deliveries, scope="read:event_streams"),
        management_route(state, f"{base}/deliveries/{{event_id}}", delivery, scope="read:event_streams"),
        management_route(state, f"{base}/redeliver", redeliver_many, ["POST"], "update:event_streams"),
        management_route(
            state, f"{base}/redeliver/{{event_id}}", redeliver_one, ["POST"], "update:event_streams"
        ),
        Route("/_sim/event-streams", sim_stats, methods=["GET", "POST"]),
    ]
