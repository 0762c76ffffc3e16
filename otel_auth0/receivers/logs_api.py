"""Checkpoint-mode poller of ``GET /api/v2/logs``.

The cursor (last log_id) is committed in the same SQLite transaction that enqueues the page, so after a
restart polling resumes exactly there: no gap, no duplicate. It follows the ``Link`` next URL (only to
the configured tenant), waits for ``x-ratelimit-reset`` when the bucket is empty and after a 429 (plus
jitter), backs off exponentially with jitter on 5xx, network errors and 429s without a usable reset,
and never spins. A page entry that is not an Auth0 event is parked (``dead_letters``), any other
failing step is retried from the saved cursor, and only log ids of Auth0's exact layout with the tenant's
own prefix (learned from what the Management API serves, kept in ``log_ids.prefix``) and no later than
the clock allows move the cursor (log_ids.py); a page none of whose ids may is treated as caught up.

Hybrid mode (``log_stream`` on too): a Log Stream carries only what is logged after it was created, so
the poller first reads the tenant's history from its own cursor (``start_from``), page after page
whatever the stream does, until it reaches the first event the stream delivered since start or a page
comes back empty (caught up with the tenant); that is recorded (``logs_api.history``) and survives
restarts. From then on the stream is the primary source and the
poller makes no request while the stream delivers recent events. Once the stream has been silent, or
its newest event older, for ``gap_fill_after``, the poller backfills from the later of its own cursor
and the stream's highest log_id, following ``Link`` pages until caught up; dedupe by log_id makes the
overlap harmless. While fills keep finding events the stream did not deliver it polls every
``interval``, otherwise (a quiet tenant) it only checks every ``gap_fill_after``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from otel_auth0.auth0.management import SETUP_ERROR_KINDS, Auth0Error, ManagementClient
from otel_auth0.auth0.ratelimit import RateLimit
from otel_auth0.backoff import Backoff, jittered
from otel_auth0.convert.events import Event, EventFormatError, normalize_event
from otel_auth0.incidents import Incidents
from otel_auth0.pipeline.intake import park
from otel_auth0.receivers.base import ReceiverFactory, Services
from otel_auth0.receivers.log_ids import PREFIX_CHECKPOINT, TenantPrefix, is_cursor_log_id
from otel_auth0.receivers.log_ids import log_id_time as log_id_time
from otel_auth0.receivers.logs_api_config import LogsApiConfig
from otel_auth0.receivers.stream_progress import log_id_order
from otel_auth0.scheduler import Schedule, error_type, sleep_or_stop
from otel_auth0.state.queue import EnqueueResult, ParkedEvent, QueueFull

log = logging.getLogger(__name__)

CHECKPOINT = "logs_api.cursor"
# The last exhausted rate-limit bucket ({"remaining", "reset"}), so a restart or a new lease holder
# waits for its reset instead of bursting the tenant's Management API budget.
RATE_LIMIT_CHECKPOINT = "logs_api.rate_limit"
# Hybrid mode: set once the history before the stream was read (the poller caught up with the tenant).
HISTORY_CHECKPOINT = "logs_api.history"
HISTORY_DONE = "read"
LOGS_PATH = "/api/v2/logs"
QUEUE_FULL_WAIT = 5.0
EDGE_PAGE = 100
# An empty cursor means "from the beginning of retention".
START_OF_RETENTION = ""
# A rate-limit reset is honoured (plus up to this much jitter) when it is within MAX_ANNOUNCED_WAIT.
RESET_JITTER = 1.0
MAX_ANNOUNCED_WAIT = 3600.0


def log_id_before(sample: str, instant: datetime) -> str:
    """A cursor that sorts before every event logged at or after ``instant``.

    Auth0 log ids are a 3-digit prefix, the UTC time the event was logged (``YYYYMMDDhhmmss``, never
    earlier than its ``date``) and opaque digits; the tenant's own prefix is taken from ``sample``."""
    if len(sample) < 17 or not sample.isdigit():
        return sample
    stamp = instant.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return sample[:3] + stamp + "0" * (len(sample) - 17)


class LogsApiReceiver:
    """Polls the tenant's logs and feeds the intake."""

    name = "logs_api"

    def __init__(
        self, config: LogsApiConfig, services: Services, client: ManagementClient | None = None
    ) -> None:
        self._config = config
        self._services = services
        self._progress = services.stream_progress  # hybrid mode when the log stream is configured
        self._prefix = self._progress.prefix if self._progress is not None else TenantPrefix()
        self._client = client or ManagementClient(
            services.require_auth0(), on_rate_limit=self._record_rate_limit
        )
        self._schedule = Schedule(
            self.name,
            config.interval,
            Backoff(initial=1.0, maximum=config.max_backoff),
            expected=(Auth0Error,),
            on_failure=self._record_failure,
            failure_wait=self._failure_wait,
        )
        self._stop = asyncio.Event()
        self._next_url: str | None = None
        self._started = time.time()
        self._filled = False
        self._gap_filling = False
        self._history_read = False
        self._prefix_asked = False
        self._incidents = Incidents(log)
        self.pages = 0
        self.rate_limited = 0
        self._stored_exhausted = False

    def _record_rate_limit(self, rate_limit: RateLimit) -> None:
        instruments = self._services.instruments
        if rate_limit.limit is not None:
            instruments.mgmt_rate_limit_limit.set(rate_limit.limit)
        if rate_limit.remaining is not None:
            instruments.mgmt_rate_limit_remaining.set(rate_limit.remaining)
        wait = rate_limit.seconds_until_reset()
        if wait is not None:
            instruments.mgmt_rate_limit_reset.set(wait)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop``; Auth0 errors are retried with backoff."""
        self._stop = stop
        self._next_url = None
        self._started = time.time()
        self._prefix_asked = False
        if not self._prefix.from_api:
            stored = self._services.intake.get_checkpoint(PREFIX_CHECKPOINT)
            known = TenantPrefix.parse(stored.value if stored is not None else None)
            if known.value is not None and (known.from_api or self._prefix.value is None):
                self._prefix.value, self._prefix.from_api = known.value, known.from_api
        history = self._services.intake.get_checkpoint(HISTORY_CHECKPOINT)
        self._history_read = history is not None and history.value == HISTORY_DONE
        if await self._wait_for_stored_budget(stop):
            return
        await self._schedule.run(self._tick, stop)

    async def _wait_for_stored_budget(self, stop: asyncio.Event) -> bool:
        """Wait for the reset of the bucket the last request found empty (by this process or another
        replica); True when ``stop`` was set meanwhile."""
        stored = await asyncio.to_thread(self._services.intake.get_checkpoint, RATE_LIMIT_CHECKPOINT)
        try:
            state = json.loads(stored.value) if stored is not None else {}
            self._stored_exhausted = state.get("remaining") is not None and int(state["remaining"]) <= 0
            wait = float(state["reset"]) - time.time() if self._stored_exhausted else 0.0
        except (ValueError, TypeError, KeyError, AttributeError):
            return False
        if not 0 < wait <= MAX_ANNOUNCED_WAIT:
            return False
        log.info("logs_api: the stored rate-limit bucket is empty; waiting %.1fs for its reset", wait)
        return await sleep_or_stop(stop, wait + random.uniform(0, RESET_JITTER))

    async def _store_rate_limit(self, rate_limit: RateLimit) -> None:
        """Keep an empty bucket (and its refill) in the state store, for whoever polls next."""
        exhausted = rate_limit.exhausted() and rate_limit.reset is not None
        if not exhausted and not self._stored_exhausted:
            return
        state = {"remaining": rate_limit.remaining if exhausted else None, "reset": rate_limit.reset}
        await asyncio.to_thread(
            self._services.intake.set_checkpoint, RATE_LIMIT_CHECKPOINT, json.dumps(state)
        )
        self._stored_exhausted = exhausted

    async def shutdown(self) -> None:
        """Close the Management API client."""
        await self._client.aclose()

    async def _tick(self) -> float:
        """One request (or, in hybrid mode while the stream is healthy, the wait until it may lag)."""
        if self._progress is not None and self._next_url is None and self._history_read:
            await self._cursor()
            healthy_for = self._config.gap_fill_after - self.stream_lag()
            if healthy_for > 0:
                if self._gap_filling:
                    log.info("logs_api: log stream healthy again; gap-filler idle")
                    self._gap_filling = False
                return healthy_for + 0.05
        self._next_url, wait = await self._step(self._next_url, self._stop)
        return wait

    def _record_failure(self, error: Exception) -> None:
        kind = error_type(error)
        self._services.failed(error, kind)
        # Refused credentials, a missing scope, a domain that does not resolve: /readyz says so now.
        self._services.status.setup_problem = f"{kind}: {error}" if kind in SETUP_ERROR_KINDS else None
        if isinstance(error, Auth0Error) and error.status == 429:
            self.rate_limited += 1

    def stream_lag(self) -> float:
        """Seconds the log stream has been silent or behind (since start when it never delivered)."""
        now = time.time()
        received = self._progress.last_received if self._progress is not None else None
        newest = self._progress.newest_event_at if self._progress is not None else None
        silent = now - (received or self._started)
        behind = now - newest if newest is not None else 0.0
        return max(silent, behind)

    def _failure_wait(self, error: Exception) -> float:
        """The announced reset (plus jitter) when there is a plausible one; otherwise exponential backoff
        (1 s doubling, with jitter) capped at ``max_backoff``, for set-up failures (credentials, scope,
        DNS) too: they are retried on that bounded schedule while ``/readyz`` names them."""
        if not isinstance(error, Auth0Error) or not error.retryable:
            return self._schedule.backoff.next_delay()
        announced = error.retry_after
        if announced is not None and 0 < announced <= MAX_ANNOUNCED_WAIT:
            return announced + random.uniform(0, RESET_JITTER)
        return self._schedule.backoff.next_delay()

    async def _step(self, next_url: str | None, stop: asyncio.Event) -> tuple[str | None, float]:
        """One request; returns the URL to request next and how long to wait before it."""
        url = next_url or await self._first_url()
        response = await self._client.get(url)
        await self._store_rate_limit(response.rate_limit)
        self.pages += 1
        self._services.instruments.receiver_requests.add(1, self._services.source)
        self._services.succeeded()
        events, parked = self._events(response.body)
        following = self._same_origin(response.next_link())
        if not events and not parked:
            self._services.instruments.ingest_lag.set(0.0, self._services.source)
            return await self._caught_up(following or url)
        now = time.time()
        ids = [str(event["log_id"]) for event in events] + [p.log_id for p in parked if p.log_id]
        await self._learn_prefix(ids, now)
        cursors = [log_id for log_id in ids if is_cursor_log_id(log_id, now, self._prefix.value)]
        cursor = max(cursors, key=log_id_order) if cursors else None
        if len(cursors) < len(ids):
            following = None  # the Link would start after an absurd id: go on from the saved cursor
        result = await self._submit(events, cursor, stop, parked)
        if result is None:
            return None, 0.0
        self._filled = self._filled or result.accepted > 0
        if cursor is None:
            # Nothing here may move the cursor (a forged id, one from the future): as caught up, so
            # the same page is asked again only after a wait, never in a loop.
            return await self._caught_up(None)
        if self._reached_stream(cursor):
            await self._finish_history()  # the stream delivered everything from here on
            return None, 0.0
        wait = 0.0
        if response.rate_limit.exhausted():
            wait = response.rate_limit.seconds_until_reset() or 1.0
        return following, wait

    async def _caught_up(self, again: str | None) -> tuple[str | None, float]:
        """Nothing (more) to read: ``again`` (the same request) or the saved cursor after ``interval``;
        in hybrid mode the history is then read, and a fill ends (the next one starts from the stream's
        position)."""
        if self._progress is None:
            return again, jittered(self._config.interval)
        if not self._history_read:
            await self._finish_history()
            return None, jittered(self._config.interval)
        interval = self._config.interval
        wait = interval if self._filled else max(interval, self._config.gap_fill_after)
        self._filled = False
        return None, jittered(wait)

    async def _learn_prefix(self, log_ids: list[str], now: float | None = None) -> None:
        """Learn the tenant's log-id prefix from ids the Management API served (persisted)."""
        if self._prefix.learn(log_ids, from_api=True, now=now):
            log.info("logs_api: the tenant's log ids start with %s", self._prefix.value)
            store = self._services.intake.set_checkpoint
            await asyncio.to_thread(store, PREFIX_CHECKPOINT, self._prefix.stored())

    def _reached_stream(self, cursor: str) -> bool:
        """Hybrid mode, reading the history: whether ``cursor`` reached the stream's first event."""
        first = self._progress.first_log_id if self._progress is not None else None
        return not self._history_read and first is not None and log_id_order(cursor) >= log_id_order(first)

    async def _finish_history(self) -> None:
        """Hybrid mode: the history before the stream is read; from now on only gaps are filled."""
        await asyncio.to_thread(self._services.intake.set_checkpoint, HISTORY_CHECKPOINT, HISTORY_DONE)
        self._history_read = True
        self._gap_filling = False
        log.info("logs_api: caught up with the tenant's history; from now on filling the log stream's gaps")

    def _same_origin(self, url: str | None) -> str | None:
        """``url`` when it points at the configured tenant; a ``Link`` elsewhere is never followed."""
        if url is None:
            return None
        target, tenant = urlsplit(url), urlsplit(self._client.base_url)
        if (target.scheme, target.netloc) == (tenant.scheme, tenant.netloc):
            return url
        self._incidents.report(
            "foreign_link",
            logging.WARNING,
            "logs_api: ignoring a Link next URL outside %s (%s://%s); continuing from the saved cursor",
            self._client.base_url,
            target.scheme,
            target.netloc,
        )
        return None

    async def _submit(
        self, events: list[Event], cursor: str | None, stop: asyncio.Event, parked: list[ParkedEvent]
    ) -> EnqueueResult | None:
        """Enqueue with the cursor; while the queue is full or cannot be written, wait (the poller
        pauses, nothing is dropped)."""
        checkpoint = (CHECKPOINT, cursor) if cursor is not None else None
        while True:
            try:
                result = await asyncio.to_thread(
                    self._services.intake.submit_events, events, self.name, checkpoint, parked
                )
            except QueueFull as full:
                self._services.instruments.queue_refused.add(1, self._services.source)
                self._services.instruments.receiver_refused_log_records.add(
                    len(events), self._services.source
                )
                self._incidents.report("paused", logging.WARNING, "logs_api paused: %s", full)
                if await sleep_or_stop(stop, QUEUE_FULL_WAIT):
                    return None
                continue
            self._incidents.resolve("paused", "logs_api resumed: the queue takes events again")
            return result

    def _events(self, body: Any) -> tuple[list[Event], list[ParkedEvent]]:
        """The page's events, and its entries that are not Auth0 events (to be parked)."""
        if not isinstance(body, list):
            raise Auth0Error("logs endpoint did not return a JSON array", retryable=True)
        events: list[Event] = []
        parked: list[ParkedEvent] = []
        for item in body:
            try:
                event = normalize_event(item)
            except EventFormatError as error:
                parked.append(park(self.name, item, "bad_item", str(error)))
                continue
            if isinstance(event.get("log_id"), str):
                events.append(event)
            else:
                parked.append(park(self.name, item, "bad_item", "no `log_id`"))
        return events, parked

    async def _cursor(self) -> str:
        """The persisted cursor, resolved from ``start_from`` (and persisted) on first start or when the
        persisted one is not a sane log id."""
        checkpoint = self._services.intake.get_checkpoint(CHECKPOINT)
        if checkpoint is not None and checkpoint.value == START_OF_RETENTION:
            return checkpoint.value
        if checkpoint is not None and not self._prefix.from_api and not self._prefix_asked:
            self._prefix_asked = True  # once per run: a tenant without events has no prefix to learn
            await self._newest_log_id()  # learns the tenant's prefix before the cursor is trusted
        if checkpoint is not None and is_cursor_log_id(checkpoint.value, prefix=self._prefix.value):
            return checkpoint.value
        if checkpoint is not None:
            log.warning("logs_api: the saved cursor is not a log id of this tenant; starting from start_from")
        cursor = await self._resolve_start()
        await asyncio.to_thread(self._services.intake.set_checkpoint, CHECKPOINT, cursor)
        return cursor

    async def _first_url(self) -> str:
        """``/api/v2/logs?from=<cursor>&take=N``; in hybrid mode from the stream's position when later."""
        cursor = await self._cursor()
        stream_position = self._progress.highest_log_id if self._progress is not None else None
        if stream_position is not None and not is_cursor_log_id(
            stream_position, prefix=self._prefix.value if self._prefix.from_api else None
        ):
            stream_position = None
        if self._progress is not None and not self._history_read:
            # The history before the stream's first event: from our own cursor, never the stream's.
            stream_position = None
            if not self._gap_filling:
                log.info("logs_api: reading the tenant's history from %s first", cursor or "oldest")
                self._gap_filling = True
        elif self._progress is not None and not self._gap_filling:
            log.info("logs_api: log stream silent or behind for %.0fs; filling gaps", self.stream_lag())
            self._gap_filling = True
        if stream_position and log_id_order(stream_position) > log_id_order(cursor):
            cursor = stream_position
        take = self._config.take
        if cursor == START_OF_RETENTION:
            cursor = "0" * 56
        return f"{self._client.base_url}{LOGS_PATH}?from={cursor}&take={take}"

    async def _resolve_start(self) -> str:
        start = self._config.start_from
        if start == "latest":
            return await self._newest_log_id() or START_OF_RETENTION
        query = None
        if start != "oldest":
            instant = datetime.fromisoformat(start.replace("Z", "+00:00")).astimezone(UTC)
            query = f"date:[{instant.strftime('%Y-%m-%dT%H:%M:%S')} TO *]"
        if not self._prefix.from_api:
            await self._newest_log_id()  # learns the tenant's prefix from its newest events
        first = await self._search_first(query)
        if first is None:
            return await self._newest_log_id() or START_OF_RETENTION
        log_id, date = first
        since = date if start == "oldest" else instant
        if self._prefix.value is not None and len(log_id) == 56:
            log_id = self._prefix.value + log_id[3:]  # never a cursor under another prefix
        return log_id_before(log_id, since)

    async def _search_first(self, query: str | None) -> tuple[str, datetime] | None:
        """The first event by date (optionally matching ``query``): its log_id and date."""
        params: dict[str, str | int] = {"sort": "date:1", "per_page": 1, "page": 0}
        if query:
            params["q"] = query
        rows = self._rows((await self._client.get(LOGS_PATH, params)).body)
        if not rows:
            return None
        row = rows[0]
        log_id = str(row.get("log_id") or row.get("_id") or "")
        try:
            date = datetime.fromisoformat(str(row.get("date")).replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            return None
        return (log_id, date) if log_id else None

    async def _newest_log_id(self) -> str | None:
        """The highest log_id among the newest events (events of one instant come in any order)."""
        params: dict[str, str | int] = {"sort": "date:-1", "per_page": EDGE_PAGE, "page": 0}
        rows = self._rows((await self._client.get(LOGS_PATH, params)).body)
        served = [str(row.get("log_id") or row.get("_id") or "") for row in rows]
        await self._learn_prefix(served)
        ids = [log_id for log_id in served if is_cursor_log_id(log_id, prefix=self._prefix.value)]
        return max(ids) if ids else None

    @staticmethod
    def _rows(body: Any) -> list[dict[str, Any]]:
        rows = body.get("logs") if isinstance(body, dict) else body
        return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


FACTORY = ReceiverFactory("logs_api", LogsApiConfig, LogsApiReceiver)
