"""Auth0 custom-webhook Log Stream receiver (Starlette served by uvicorn inside the collector's loop).

A POST carries items ``{"log_id": …, "data": {…}}`` (bare events too) as a JSON array, JSON lines or
one JSON object, optionally gzip-encoded. The token is checked before the body is read. The body is
then parsed, converted and stored one body at a time, in chunks of ``CHUNK_ITEMS`` items (each chunk
committed with the stream's position), so memory stays bounded whatever the concurrency.

What Auth0 sees: 200 once every item is durably in the persistent queue, items that are not Auth0
events or cannot be converted included: those are parked in the queue's ``dead_letters`` table with
their reason (``{"rejected": n}`` in the answer), because redelivering them would never help and
would hold back the rest of the batch. A body that is not JSON at all, has no Auth0 log item at all
(422, naming what came: an Event Streams delivery is recognised), or fails authentication, gets 4xx
(Auth0 keeps retrying it; nothing of it is stored). Body parsing: :mod:`.webhook_body`. 503 with
``Retry-After`` (queue full, storage failing, shutting down, too busy) loses nothing: Auth0 retries,
and chunks stored before the 503 are recognised as duplicates then.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import logging
import math
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from otel_auth0.convert.events import Event, EventFormatError, normalize_event, parse_time_ns
from otel_auth0.http_listen import LimitedServer, ListenerLimits, bind, bound_address, reserve_open_files
from otel_auth0.incidents import Incidents
from otel_auth0.pipeline.intake import park
from otel_auth0.receivers.base import ReceiverFactory, Services
from otel_auth0.receivers.cloudevents import describe_cloudevent, is_cloudevent
from otel_auth0.receivers.listener import ByteBudget
from otel_auth0.receivers.log_ids import PREFIX_CHECKPOINT, TenantPrefix, is_cursor_log_id
from otel_auth0.receivers.log_stream_config import LogStreamConfig
from otel_auth0.receivers.stream_progress import StreamProgress, log_id_order
from otel_auth0.receivers.webhook_body import BadItem, GzipMembers, RejectedRequest, TooLarge, iter_items
from otel_auth0.state.queue import ParkedEvent, QueueFull, StorageError

__all__ = ["RejectedRequest", "iter_items"]

log = logging.getLogger(__name__)

CHECKPOINT = "log_stream.highest_log_id"
RECEIVER = "log_stream"
CHUNK_ITEMS = 2000
CLOUDEVENT = "not a Log Stream item"
JSON_CONTENT_TYPES = frozenset(
    {
        "application/json",
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/jsonlines",
        "application/json-lines",
        "application/x-jsonlines",
    }
)


class _Refused(Exception):
    """The queue refused a chunk (full, or its file cannot be written); ``records`` items went unstored."""

    def __init__(self, cause: QueueFull, records: int) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.records = records


@dataclass(frozen=True, slots=True)
class Ingested:
    """What one body gave."""

    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0


def token_matches(header: str | None, token: str) -> bool:
    """Constant-time check of an ``Authorization`` value: the token verbatim, or ``Bearer <token>``; a
    blank token matches nothing."""
    if not token.strip():
        return False
    presented = (header or "").encode("latin-1", "replace")
    expected = token.encode()
    scheme, _, credentials = presented.partition(b" ")
    verbatim = hmac.compare_digest(presented, expected)
    bearer = hmac.compare_digest(credentials.strip(), expected)
    return verbatim or (bearer and scheme.lower() == b"bearer")


def split_items(items: Iterable[object], first_index: int = 0) -> tuple[list[Event], list[ParkedEvent]]:
    """Normalised events with a ``log_id``, and the items that are not Auth0 events (parked)."""
    events: list[Event] = []
    parked: list[ParkedEvent] = []
    for index, item in enumerate(items, start=first_index):
        if isinstance(item, BadItem):
            raw = {"log_id": item.log_id, "where": item.where, "text": item.text}
            parked.append(park(RECEIVER, raw, "bad_item", f"{item.where}: {item.problem}"))
            continue
        if is_cloudevent(item):
            detail = f"item {index}: {describe_cloudevent(item)}, {CLOUDEVENT}"
            parked.append(park(RECEIVER, item, "bad_item", detail))
            continue
        try:
            event = normalize_event(item)
        except EventFormatError as error:
            parked.append(park(RECEIVER, item, "bad_item", f"item {index}: {error}"))
            continue
        if not isinstance(event.get("log_id"), str) or not event["log_id"]:
            parked.append(park(RECEIVER, item, "bad_item", f"item {index}: no `log_id`"))
            continue
        events.append(event)
    return events, parked


def not_log_items(parked: list[ParkedEvent], cloudevent_headers: bool = False) -> RejectedRequest:
    """The 422 for a body none of whose items is an Auth0 log item (``parked``: all of them), naming
    what was received; an Auth0 Event Streams delivery (CloudEvents) is named as such."""
    cloudevents = [event for event in parked if CLOUDEVENT in event.detail]
    if cloudevents or cloudevent_headers:
        what = f"{len(cloudevents)} of {len(parked)} items are CloudEvents" if cloudevents else "ce-* headers"
        first = f" ({cloudevents[0].detail})" if cloudevents else ""
        reason = (
            f"this is an Auth0 Event Streams delivery ({what}{first}), not Auth0 Log Stream log items; "
            "configure receivers.event_stream for Event Streams (docs/configuration.md). Nothing was stored"
        )
        return RejectedRequest(422, "event_streams_delivery", reason)
    more = f" (and {len(parked) - 1} more)" if len(parked) > 1 else ""
    reason = (
        f"none of the {len(parked)} items is an Auth0 log item (an object with a string `type` and "
        f'`log_id`, or {{"log_id", "data"}}): {parked[0].detail[:300]}{more}. Nothing was stored'
    )
    return RejectedRequest(422, "not_log_items", reason)


def highest_cursor(
    log_ids: Iterable[str], highest: str | None, now: float, prefix: str | None = None
) -> str | None:
    """The highest of ``log_ids`` that may move a cursor (:func:`is_cursor_log_id`, with the tenant's
    ``prefix``) if above ``highest``, else ``highest``; ids are checked from the highest down, so usually
    only one is parsed. A ``highest`` that is no cursor (any more: the tenant's prefix became known) is
    dropped."""
    if highest is not None and not is_cursor_log_id(highest, now, prefix):
        highest = None
    floor = log_id_order(highest) if highest is not None else None
    for log_id in sorted(log_ids, key=log_id_order, reverse=True):
        if floor is not None and log_id_order(log_id) <= floor:
            break
        if is_cursor_log_id(log_id, now, prefix):
            return log_id
    return highest


def parse_events(body: bytes) -> tuple[list[Event], list[ParkedEvent]]:
    """Every item of a body: the events, and the items to park."""
    return split_items(iter_items(body))


class LogStreamReceiver:
    """Receives Auth0 Log Stream deliveries and enqueues them; binds its socket at construction."""

    name = RECEIVER

    def __init__(self, config: LogStreamConfig, services: Services) -> None:
        self._config = config
        self._services = services
        self._progress = services.stream_progress or StreamProgress()
        self._closing = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._submit_lock = asyncio.Lock()
        self._budget = ByteBudget(config.max_in_flight_bytes)
        self._incidents = Incidents(log)
        self._server: LimitedServer | None = None
        self._serving: asyncio.Task[None] | None = None
        self._attributes = services.source
        self._restore_position()
        # One of several tenants on a shared Log Stream listener (``tenants:``), or a listener of its own.
        self._shared = services.listener if self.name == RECEIVER else None
        if self._shared is not None:
            self._shared.mount(config.path, self._receive, services.instruments.listener_counter(self.name))
            self.address = self._shared.address
        else:
            self._limits = ListenerLimits(
                self.name,
                f"receivers.{self.name}",
                config.max_connections,
                config.header_timeout,
                config.max_header_bytes,
                config.max_headers,
            )
            reserve_open_files(self._limits)
            self._socket = bind(config.listen, f"receivers.{self.name}.listen")
            self.address = bound_address(self._socket)
        if config.auth == "none":
            log.warning("%s: auth: none; any client reaching %s can post", self.name, self.address)

    def _restore_position(self) -> None:
        """The tenant's log id prefix and the stream's highest log id from their checkpoints (shared with
        the poller)."""
        prefix = self._progress.prefix
        if prefix.value is None:
            stored = self._services.intake.get_checkpoint(PREFIX_CHECKPOINT)
            known = TenantPrefix.parse(stored.value if stored is not None else None)
            prefix.value, prefix.from_api = known.value, known.from_api
        saved = self._services.intake.get_checkpoint(CHECKPOINT)
        if (
            saved is not None
            and self._progress.highest_log_id is None
            and is_cursor_log_id(saved.value, prefix=prefix.value)
        ):
            self._progress.highest_log_id = saved.value

    @property
    def url(self) -> str:
        """The webhook URL to give Auth0 (as seen on the bound address)."""
        return f"http://{self.address}{self._config.path}"

    def app(self) -> Starlette:
        """The ASGI application (webhook path and ``GET /healthz``). The webhook path is served with and
        without a trailing slash, and nothing is ever redirected: a redirect would name the address
        this process sees (behind a TLS proxy, a plain-http internal URL)."""
        path = self._config.path.rstrip("/") or "/"
        paths = dict.fromkeys([path, path.rstrip("/") + "/"])
        app = Starlette(
            routes=[
                *(Route(webhook, self._receive, methods=["POST"]) for webhook in paths),
                Route("/healthz", self._health, methods=["GET"]),
            ]
        )
        app.router.redirect_slashes = False
        return app

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop``; then answer 503 to new requests and return once none is in flight."""
        self._closing = False
        if self._shared is not None:  # the shared listener serves; this tenant only takes requests
            try:
                await stop.wait()
            finally:
                self._closing = True
                if self._in_flight:
                    self._idle.clear()
                    await self._idle.wait()
            return
        if self._socket.fileno() == -1:  # restarted after the server failed and closed it
            self._socket = bind(self._config.listen, f"receivers.{self.name}.listen")
        config = uvicorn.Config(
            self.app(),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
            server_header=False,
        )
        self._server = LimitedServer(
            config, self._limits, self._services.instruments.listener_counter(self.name)
        )
        self._serving = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        log.info("%s listening on %s", self.name, self.url)
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({self._serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            self._closing = True
            if self._in_flight:
                self._idle.clear()
                await self._idle.wait()
        if self._serving.done():
            await self._serving  # the server failed: surface its error

    async def shutdown(self) -> None:
        """Close the listener (after the runtime drained the queue; until then it answers 503); a shared
        listener is closed by its owner."""
        if self._server is not None and self._serving is not None and not self._serving.done():
            self._server.should_exit = True
            await self._serving

    async def _health(self, request: Request) -> JSONResponse:
        if self._closing:
            return JSONResponse({"status": "shutting_down"}, 503, headers=self._retry_after())
        return JSONResponse({"status": "ok"})

    def _retry_after(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, math.ceil(self._config.retry_after)))}

    async def _receive(self, request: Request) -> JSONResponse:
        self._in_flight += 1
        try:
            response = await self._handle(request)
        except RejectedRequest as rejected:
            errors = self._services.instruments.receiver_errors
            errors.add(1, {**self._attributes, "error.type": rejected.error})
            body = {"error": rejected.error, "reason": rejected.reason}
            response = JSONResponse(body, rejected.status, headers=rejected.headers)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
        self._services.instruments.receiver_requests.add(
            1, {**self._attributes, "http.response.status_code": response.status_code}
        )
        return response

    def _unavailable(self, error: str, reason: str) -> RejectedRequest:
        """A 503 (Auth0 retries later), logged once per incident class with counts."""
        self._incidents.report(error, logging.WARNING, "log_stream: answering 503 (%s): %s", error, reason)
        return RejectedRequest(503, error, reason, self._retry_after())

    async def _handle(self, request: Request) -> JSONResponse:
        if self._closing:
            raise RejectedRequest(503, "shutting_down", "shutting down; retry later", self._retry_after())
        authorization = request.headers.get("authorization")
        if self._config.auth != "none" and not token_matches(authorization, self._config.token or ""):
            raise RejectedRequest(401, "unauthorized", "missing or wrong Authorization token")
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type not in JSON_CONTENT_TYPES and not media_type.endswith("+json"):
            raise RejectedRequest(
                415, "unsupported_media_type", f"Content-Type {media_type or '(none)'!r} is not JSON"
            )
        reserved = await self._reserve(request)
        try:
            body = await self._read_body(request)
            if self._closing:
                raise RejectedRequest(503, "shutting_down", "shutting down; retry later", self._retry_after())
            ingested = await self._submit(body, "ce-specversion" in request.headers)
        finally:
            await self._budget.release(reserved)
        self._services.succeeded()
        return JSONResponse(
            {"accepted": ingested.accepted, "duplicates": ingested.duplicates, "rejected": ingested.rejected}
        )

    async def _reserve(self, request: Request) -> int:
        """Reserve the body's bytes in ``max_in_flight_bytes`` (503 when no room within ``body_timeout``)."""
        declared = request.headers.get("content-length", "")
        identity = request.headers.get("content-encoding", "identity").strip().lower() in ("identity", "")
        size = int(declared) if declared.isdigit() and identity else self._config.max_body_bytes
        size = min(size, self._config.max_body_bytes)
        try:
            async with asyncio.timeout(self._config.body_timeout):
                return await self._budget.acquire(size)
        except TimeoutError:
            raise self._unavailable("busy", "too many bodies in flight (max_in_flight_bytes)") from None

    async def _read_body(self, request: Request) -> bytes:
        """The body within ``body_timeout`` (408 otherwise), decompressed, refusing anything over
        ``max_body_bytes`` before or after gzip."""
        try:
            async with asyncio.timeout(self._config.body_timeout):
                return await self._read_limited(request)
        except TimeoutError:
            reason = f"the body did not arrive within {self._config.body_timeout:g}s (body_timeout)"
            self._incidents.report("request_timeout", logging.WARNING, "log_stream: %s", reason)
            raise RejectedRequest(408, "request_timeout", reason) from None
        except ClientDisconnect:
            # Expected client behaviour (an abandoned upload): counted, one line a minute, no traceback.
            self._incidents.report(
                "client_disconnect", logging.INFO, "log_stream: a client went away mid-body; nothing stored"
            )
            raise RejectedRequest(400, "client_disconnect", "client disconnected") from None

    async def _read_limited(self, request: Request) -> bytes:
        limit = self._config.max_body_bytes
        too_large = RejectedRequest(413, "too_large", f"body exceeds {limit} bytes (max_body_bytes)")
        encoding = request.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "gzip", "x-gzip", ""):
            reason = f"Content-Encoding {encoding!r} is not supported; use gzip or none"
            raise RejectedRequest(415, "unsupported_encoding", reason)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        members = GzipMembers() if encoding in ("gzip", "x-gzip") else None
        body = bytearray()
        try:
            async for chunk in request.stream():
                if members is not None:
                    chunk = members.decompress(chunk, limit + 1 - len(body))
                body += chunk
                if len(body) > limit:
                    raise too_large
            if members is not None:
                members.finish()
        except TooLarge:
            raise too_large from None
        except zlib.error as error:
            raise RejectedRequest(400, "bad_gzip", f"body is not valid gzip: {error}") from None
        return bytes(body)

    async def _submit(self, body: bytes, cloudevent_headers: bool = False) -> Ingested:
        """Parse, convert and store ``body`` in a worker thread, one body at a time."""
        loop = asyncio.get_running_loop()
        async with self._submit_lock:
            try:
                ingested = await asyncio.to_thread(self._ingest, body, loop, cloudevent_headers)
            except _Refused as refused:
                instruments = self._services.instruments
                instruments.receiver_refused_log_records.add(refused.records, self._attributes)
                if isinstance(refused.cause, StorageError):
                    raise self._unavailable("storage", str(refused.cause)) from None
                instruments.queue_refused.add(1, self._attributes)
                raise self._unavailable("queue_full", str(refused.cause)) from None
            except RejectedRequest:
                raise
            except Exception as error:  # a bug: Auth0 retries, nothing is lost
                self._incidents.report(
                    "internal", logging.ERROR, "log_stream: cannot store a batch: %r", error, exc_info=True
                )
                raise RejectedRequest(
                    503, "internal", "internal error; retry later", self._retry_after()
                ) from None
        self._incidents.resolve("queue_full", "log_stream: the queue takes batches again")
        self._incidents.resolve("storage", "log_stream: the queue can be written again")
        return ingested

    def _ingest(
        self, body: bytes, loop: asyncio.AbstractEventLoop, cloudevent_headers: bool = False
    ) -> Ingested:
        """(Worker thread.) Store every chunk of ``body`` with the stream's position; raises
        :class:`_Refused` when a chunk cannot be stored (earlier chunks stay and are duplicates on
        redelivery), and :class:`RejectedRequest` (nothing stored) when no item is an Auth0 log item."""
        items = iter_items(body)
        del body
        highest = self._progress.highest_log_id
        total = Ingested()
        first_index = 0
        held: list[ParkedEvent] = []  # items to park, until the body shows a first log item
        log_items = False
        while chunk := list(itertools.islice(items, CHUNK_ITEMS)):
            events, parked = split_items(chunk, first_index)
            first_index += len(chunk)
            del chunk
            if not events and not log_items:
                held += parked
                continue
            log_items = True
            parked, held = held + parked, []
            ids = [str(event["log_id"]) for event in events]
            now = time.time()
            prefix = self._progress.prefix
            if prefix.learn(ids, from_api=False, now=now):  # stream-only mode: until the API says
                self._services.intake.set_checkpoint(PREFIX_CHECKPOINT, prefix.stored())
            highest = highest_cursor(ids, highest, now, prefix.value)
            if self._progress.first_log_id is None:  # where this run's stream starts (hybrid history)
                firsts = [log_id for log_id in ids if is_cursor_log_id(log_id, now, prefix.value)]
                self._progress.first_log_id = min(firsts, key=log_id_order) if firsts else None
            checkpoint = (CHECKPOINT, highest) if highest is not None else None
            try:
                result = self._services.intake.submit_events(events, self.name, checkpoint, parked)
            except QueueFull as full:
                raise _Refused(full, len(events) + sum(1 for _ in items)) from None
            newest = max((parse_time_ns(event.get("date")) or 0) for event in events) / 1e9 if events else 0.0
            loop.call_soon_threadsafe(self._record_progress, bool(events), newest, highest)
            total = Ingested(
                total.accepted + result.accepted,
                total.duplicates + result.duplicates,
                total.rejected + result.parked,
            )
        if held:
            raise not_log_items(held, cloudevent_headers)
        return total

    def _record_progress(self, delivered: bool, newest: float, highest: str | None) -> None:
        now = time.time()
        progress = self._progress
        progress.highest_log_id = highest
        if delivered:
            progress.last_received = now
            if newest:
                newest = min(newest, now)
                progress.newest_event_at = max(progress.newest_event_at or 0.0, newest)
        progress.changed.set()


FACTORY = ReceiverFactory("log_stream", LogStreamConfig, LogStreamReceiver)
