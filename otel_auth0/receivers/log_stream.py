"""Auth0 custom-webhook Log Stream receiver (Starlette served by uvicorn inside the collector's loop).

A POST carries items ``{"log_id": …, "data": {…}}`` (bare events too) as a JSON array, JSON lines or
one JSON object, optionally gzip-encoded. The answer is 200 only once the whole batch is durably in
the persistent queue; a malformed batch gets 400 with a JSON reason and nothing of it is enqueued.
Auth0 retries anything but 2xx, so 503 (queue full, shutting down) loses nothing.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
import sqlite3
import time
import zlib

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from otel_auth0.config import LogStreamConfig
from otel_auth0.convert.events import Event, EventFormatError, iter_json_items, normalize_event, parse_time_ns
from otel_auth0.http_listen import EmbeddedServer, bind, bound_address
from otel_auth0.pipeline.queue import QueueFull
from otel_auth0.receivers.base import ReceiverFactory, Services
from otel_auth0.receivers.stream_progress import StreamProgress, log_id_order

log = logging.getLogger(__name__)

CHECKPOINT = "log_stream.highest_log_id"
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


class RejectedRequest(Exception):
    """A request answered with a 4xx/5xx status and a JSON reason."""

    def __init__(self, status: int, error: str, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.error = error
        self.reason = reason
        self.headers = headers or {}


def token_matches(header: str | None, token: str) -> bool:
    """Constant-time check of an ``Authorization`` value: the token verbatim, or ``Bearer <token>``."""
    presented = (header or "").encode("latin-1", "replace")
    expected = token.encode()
    scheme, _, credentials = presented.partition(b" ")
    verbatim = hmac.compare_digest(presented, expected)
    bearer = hmac.compare_digest(credentials.strip(), expected)
    return verbatim or (bearer and scheme.lower() == b"bearer")


def parse_events(body: bytes) -> list[Event]:
    """Every item of a JSONARRAY / JSONLINES / JSONOBJECT body as a normalised event with a log_id."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RejectedRequest(400, "bad_encoding", f"body is not UTF-8: {error}") from None
    if not text.strip():
        raise RejectedRequest(400, "empty_body", "empty body; expected a JSON array, JSON lines or an object")
    try:
        items = list(iter_json_items(text))
    except RecursionError:
        raise RejectedRequest(400, "bad_json", "JSON nested too deeply") from None
    except ValueError as error:
        raise RejectedRequest(400, "bad_json", f"body is not JSON: {error}") from None
    events: list[Event] = []
    for index, item in enumerate(items):
        try:
            event = normalize_event(item)
        except EventFormatError as error:
            raise RejectedRequest(400, "bad_item", f"item {index}: {error}") from None
        if not isinstance(event.get("log_id"), str) or not event["log_id"]:
            raise RejectedRequest(400, "bad_item", f"item {index}: no `log_id`")
        events.append(event)
    return events


class LogStreamReceiver:
    """Receives Auth0 Log Stream deliveries and enqueues them; binds its socket at construction."""

    name = "log_stream"

    def __init__(self, config: LogStreamConfig, services: Services) -> None:
        self._config = config
        self._services = services
        self._progress = services.stream_progress or StreamProgress()
        self._closing = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._submit_lock = asyncio.Lock()
        self._server: EmbeddedServer | None = None
        self._serving: asyncio.Task[None] | None = None
        self._attributes = services.source
        saved = services.intake.get_checkpoint(CHECKPOINT)
        if saved is not None and self._progress.highest_log_id is None:
            self._progress.highest_log_id = saved.value
        self._socket = bind(config.listen, "receivers.log_stream.listen")
        self.address = bound_address(self._socket)
        if not config.token:
            log.warning("log_stream: no token configured; any client reaching %s can post logs", self.address)

    @property
    def url(self) -> str:
        """The webhook URL to give Auth0 (as seen on the bound address)."""
        return f"http://{self.address}{self._config.path}"

    def app(self) -> Starlette:
        """The ASGI application (webhook path and ``GET /healthz``)."""
        return Starlette(
            routes=[
                Route(self._config.path, self._receive, methods=["POST"]),
                Route("/healthz", self._health, methods=["GET"]),
            ]
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop``; then answer 503 to new requests and return once none is in flight."""
        self._closing = False
        if self._socket.fileno() == -1:  # restarted after the server failed and closed it
            self._socket = bind(self._config.listen, "receivers.log_stream.listen")
        config = uvicorn.Config(
            self.app(),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
            server_header=False,
        )
        self._server = EmbeddedServer(config)
        self._serving = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        log.info("log_stream listening on %s", self.url)
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
        """Close the listener (after the runtime drained the queue; until then it answers 503)."""
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

    async def _handle(self, request: Request) -> JSONResponse:
        if self._closing:
            raise RejectedRequest(503, "shutting_down", "shutting down; retry later", self._retry_after())
        token = self._config.token
        if token and not token_matches(request.headers.get("authorization"), token):
            raise RejectedRequest(401, "unauthorized", "missing or wrong Authorization token")
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type not in JSON_CONTENT_TYPES and not media_type.endswith("+json"):
            raise RejectedRequest(
                415, "unsupported_media_type", f"Content-Type {media_type or '(none)'!r} is not JSON"
            )
        events = parse_events(await self._read_body(request))
        if self._closing:
            raise RejectedRequest(503, "shutting_down", "shutting down; retry later", self._retry_after())
        accepted, duplicates = await self._submit(events)
        self._services.succeeded()
        return JSONResponse({"accepted": accepted, "duplicates": duplicates})

    async def _read_body(self, request: Request) -> bytes:
        """The body, decompressed, refusing anything over ``max_body_bytes`` before or after gzip."""
        limit = self._config.max_body_bytes
        too_large = RejectedRequest(413, "too_large", f"body exceeds {limit} bytes (max_body_bytes)")
        encoding = request.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "gzip", "x-gzip", ""):
            reason = f"Content-Encoding {encoding!r} is not supported; use gzip or none"
            raise RejectedRequest(415, "unsupported_encoding", reason)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding in ("gzip", "x-gzip") else None
        body = bytearray()
        try:
            async for chunk in request.stream():
                if decompressor is not None:
                    chunk = decompressor.decompress(chunk, limit + 1 - len(body))
                    if decompressor.unconsumed_tail:
                        raise too_large
                body += chunk
                if len(body) > limit:
                    raise too_large
            if decompressor is not None and not decompressor.eof:
                raise RejectedRequest(400, "bad_gzip", "gzip stream is truncated")
        except zlib.error as error:
            raise RejectedRequest(400, "bad_gzip", f"body is not valid gzip: {error}") from None
        return bytes(body)

    async def _submit(self, events: list[Event]) -> tuple[int, int]:
        """Enqueue the whole batch durably (with the stream's highest log_id) and record progress."""
        ids = [str(event["log_id"]) for event in events if str(event["log_id"]).isdigit()]
        async with self._submit_lock:
            highest = self._progress.highest_log_id
            if ids:
                newest = max(ids, key=log_id_order)
                if highest is None or log_id_order(newest) > log_id_order(highest):
                    highest = newest
            checkpoint = (CHECKPOINT, highest) if highest is not None else None
            try:
                result = await asyncio.to_thread(
                    self._services.intake.submit_events, events, self.name, checkpoint
                )
            except QueueFull as full:
                self._services.instruments.queue_refused.add(1, self._attributes)
                self._services.instruments.receiver_refused_log_records.add(len(events), self._attributes)
                log.warning("log_stream: answering 503: %s", full)
                raise RejectedRequest(503, "queue_full", str(full), self._retry_after()) from None
            except (sqlite3.Error, OSError) as error:
                log.error("log_stream: cannot store the batch: %s", error)
                reason = f"cannot store the batch: {error}"
                raise RejectedRequest(503, "storage", reason, self._retry_after()) from None
            except Exception as error:  # a conversion bug must not become a 500 that Auth0 retries forever
                log.exception("log_stream: cannot convert a batch of %d events", len(events))
                raise RejectedRequest(400, "bad_event", f"cannot convert the batch: {error}") from None
            self._record_progress(events, highest)
        return result.accepted, result.duplicates

    def _record_progress(self, events: list[Event], highest: str | None) -> None:
        now = time.time()
        progress = self._progress
        progress.highest_log_id = highest
        if events:
            progress.last_received = now
            newest = max((parse_time_ns(event.get("date")) or 0) for event in events) / 1e9
            if newest:
                newest = min(newest, now)
                progress.newest_event_at = max(progress.newest_event_at or 0.0, newest)
        progress.changed.set()


FACTORY = ReceiverFactory("log_stream", LogStreamConfig, LogStreamReceiver)
