"""Auth0 Event Streams webhook receiver (``receivers.event_stream``): CloudEvents pushed by Auth0.

Built on the Log Stream listener (same bounded connections, header and body timeouts, in-flight byte
budget, gzip, 503 with ``Retry-After`` when the queue cannot take a body): only what a body holds
differs. A POST carries one CloudEvent (``application/json`` or ``application/cloudevents+json``) or a
batch, a JSON array (``application/cloudevents-batch+json``, or ``application/json``). Every item
must be a CloudEvent: otherwise the whole body is answered 400 naming the problem and nothing of it
is stored (an Auth0 log item is told it belongs on the Log Stream path). The bearer token is checked
before the body is read (401). Events are converted, deduplicated by event id (Auth0 delivers at
least once, and redelivers) and stored durably before the 2xx.

With ``gap_fill`` on, the receiver also reads the stream's failed deliveries
(``GET /api/v2/event-streams/{id}/deliveries``) every ``interval`` and asks Auth0 to redeliver each
(``POST /api/v2/event-streams/{id}/redeliver/{event_id}``), so an outage of the collector leaves no gap
once it is back. Its position (the oldest instant still to look at) is a checkpoint.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse

from otel_auth0.auth0 import event_streams
from otel_auth0.auth0.sdk import SdkSession
from otel_auth0.backoff import Backoff
from otel_auth0.convert.cloudevents import CloudEventError, validate
from otel_auth0.convert.events import Event, loads
from otel_auth0.receivers.base import ReceiverFactory, Services
from otel_auth0.receivers.event_stream_config import EventStreamConfig, EventStreamGapFillConfig
from otel_auth0.receivers.log_stream import Ingested, LogStreamReceiver, RejectedRequest, _Refused
from otel_auth0.scheduler import Schedule, error_type
from otel_auth0.state.queue import QueueFull

log = logging.getLogger(__name__)

RECEIVER = "event_stream"
GAP_CHECKPOINT = "event_stream.gap_fill.from"
BATCH_TYPE = "application/cloudevents-batch+json"
SINGLE_TYPE = "application/cloudevents+json"
NOT_CLOUDEVENT = "not_cloudevent"
# Redeliveries asked for one event at most: one that keeps failing on a reachable webhook would only
# add to the failures after which Auth0 disables the stream.
MAX_REDELIVERIES = 5
# The media type of the request being handled (task-local; copied into the worker thread).
_MEDIA_TYPE: contextvars.ContextVar[str] = contextvars.ContextVar("event_stream_media_type", default="")


def parse_cloudevents(body: bytes, media_type: str = "application/json") -> list[Event]:
    """The CloudEvents of a delivery body; :class:`RejectedRequest` (400) naming the first problem."""
    try:
        document = loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise RejectedRequest(400, "bad_encoding", f"body is not UTF-8: {error}") from None
    except (ValueError, RecursionError):
        raise RejectedRequest(400, "bad_json", "body is not JSON; expected a CloudEvent or a batch") from None
    if media_type == BATCH_TYPE and not isinstance(document, list):
        raise RejectedRequest(400, NOT_CLOUDEVENT, f"{BATCH_TYPE} must be a JSON array of CloudEvents")
    if media_type == SINGLE_TYPE and not isinstance(document, dict):
        raise RejectedRequest(400, NOT_CLOUDEVENT, f"{SINGLE_TYPE} must be one CloudEvent object")
    items = document if isinstance(document, list) else [document]
    if not items:
        raise RejectedRequest(400, NOT_CLOUDEVENT, "empty batch: no CloudEvent")
    try:
        return [validate(item, index if len(items) > 1 else None) for index, item in enumerate(items)]
    except CloudEventError as error:
        raise RejectedRequest(400, NOT_CLOUDEVENT, str(error)) from None


class EventStreamReceiver(LogStreamReceiver):
    """Receives Auth0 Event Streams deliveries; binds its socket at construction."""

    name = RECEIVER

    def __init__(self, config: EventStreamConfig, services: Services) -> None:
        super().__init__(config, services)
        self._gap_fill = config.gap_fill
        self._auth0 = services.require_auth0() if config.gap_fill is not None else None
        self._asked: dict[str, int] = {}
        if config.gap_fill is not None:
            services.instruments.event_stream_redeliveries.add(0, self._attributes)

    def _restore_position(self) -> None:
        """Deliveries carry no position: dedupe by event id makes every redelivery harmless."""

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop``; with ``gap_fill``, check the delivery history every interval beside it
        (its failures are retried with backoff and reported, never taking the listener down)."""
        if self._gap_fill is None:
            await super().run(stop)
            return
        filling = asyncio.create_task(self._gap_schedule(self._gap_fill).run(self._fill_gaps, stop))
        try:
            await super().run(stop)
        finally:
            filling.cancel()
            await asyncio.gather(filling, return_exceptions=True)

    def _gap_schedule(self, gap_fill: EventStreamGapFillConfig) -> Schedule:
        services = self._services
        return Schedule(
            f"{self.name}.gap_fill",
            gap_fill.interval,
            Backoff(initial=5.0, maximum=max(5.0, gap_fill.interval)),
            expected=(Exception,),
            on_failure=lambda error: services.failed(error, error_type(error)),
        )

    async def _fill_gaps(self) -> None:
        await asyncio.to_thread(self.fill_gaps_once)

    def fill_gaps_once(self) -> int:
        """(Worker thread.) One pass over the failed deliveries: redeliver each (at most
        ``max_per_run``) and move the checkpoint to the oldest one left; returns how many were asked."""
        gap_fill, auth0 = self._gap_fill, self._auth0
        assert gap_fill is not None and auth0 is not None
        now = datetime.now(UTC)
        saved = self._services.intake.get_checkpoint(GAP_CHECKPOINT)
        since = _parse_instant(saved.value) if saved is not None else None
        since = since or now - timedelta(seconds=gap_fill.lookback)
        instruments = self._services.instruments
        with SdkSession(auth0) as session:
            failed = event_streams.failed_deliveries(session, gap_fill.stream_id, since)
            instruments.event_stream_failed_deliveries.set(len(failed), self._attributes)
            self._asked = {d.event_id: self._asked.get(d.event_id, 0) for d in failed}
            due = [d for d in failed if self._asked[d.event_id] < MAX_REDELIVERIES]
            asked = 0
            for delivery in due[: gap_fill.max_per_run]:
                event_streams.redeliver(session, gap_fill.stream_id, delivery.event_id)
                self._asked[delivery.event_id] += 1
                asked += 1
                instruments.event_stream_redeliveries.add(1, self._attributes)
        if len(due) < len(failed):
            self._incidents.report(
                "redelivery_given_up",
                logging.WARNING,
                "%s: %d failed deliveries still fail after %d redeliveries; not asking again (see the "
                "stream's delivery history in Auth0)",
                self.name,
                len(failed) - len(due),
                MAX_REDELIVERIES,
            )
        oldest = min((d.event_time for d in failed if d.event_time is not None), default=None)
        position = now - timedelta(seconds=gap_fill.settle)
        if oldest is not None:
            position = min(position, oldest)
        position = max(position, since)  # never earlier than where this pass started
        self._services.intake.set_checkpoint(GAP_CHECKPOINT, event_streams.api_time(position))
        if asked:
            log.info("%s: asked Auth0 to redeliver %d failed deliveries", self.name, asked)
        self._services.succeeded()
        return asked

    async def _handle(self, request: Request) -> JSONResponse:
        _MEDIA_TYPE.set(request.headers.get("content-type", "").split(";", 1)[0].strip().lower())
        return await super()._handle(request)

    def _ingest(
        self, body: bytes, loop: asyncio.AbstractEventLoop, cloudevent_headers: bool = False
    ) -> Ingested:
        """(Worker thread.) Validate every CloudEvent of ``body`` (structured mode: the ``ce-*`` headers
        of binary mode, ``cloudevent_headers``, do not make a body one), then store them in one
        transaction."""
        try:
            events = parse_cloudevents(body, _MEDIA_TYPE.get())
        except RejectedRequest as rejected:
            if rejected.error == NOT_CLOUDEVENT:
                self._services.instruments.receiver_rejected_events.add(
                    1, {**self._attributes, "otel_auth0.reason": NOT_CLOUDEVENT}
                )
            raise
        try:
            result = self._services.intake.submit_cloud_events(events, self.name)
        except QueueFull as full:
            raise _Refused(full, len(events)) from None
        return Ingested(result.accepted, result.duplicates, result.parked)


def _parse_instant(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


FACTORY = ReceiverFactory("event_stream", EventStreamConfig, EventStreamReceiver)
