"""Checkpoint-mode poller of ``GET /api/v2/logs``.

The cursor (last log_id) is committed in the same SQLite transaction that enqueues the page, so after a
restart polling resumes exactly there: no gap, no duplicate. It follows the ``Link`` next URL, waits for
``x-ratelimit-reset`` when the bucket is empty, backs off exponentially with jitter on 429, 5xx and
network errors, and never spins.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import datetime
from typing import Any

from otel_auth0.auth0.management import Auth0Error, ManagementClient
from otel_auth0.auth0.ratelimit import RateLimit
from otel_auth0.config import LogsApiConfig
from otel_auth0.convert.events import Event, EventFormatError, normalize_event
from otel_auth0.pipeline.queue import QueueFull
from otel_auth0.pipeline.worker import Backoff
from otel_auth0.receivers.base import Services, sleep_or_stop

log = logging.getLogger(__name__)

CHECKPOINT = "logs_api.cursor"
LOGS_PATH = "/api/v2/logs"
QUEUE_FULL_WAIT = 5.0
# An empty cursor means "from the beginning of retention".
START_OF_RETENTION = ""


def preceding_log_id(log_id: str) -> str:
    """The id just before ``log_id`` (log ids are fixed-width decimal numbers), so ``from=`` includes it."""
    if log_id.isdigit():
        return str(max(int(log_id) - 1, 0)).zfill(len(log_id))
    return log_id


class LogsApiReceiver:
    """Polls the tenant's logs and feeds the intake."""

    name = "logs_api"

    def __init__(self, services: Services, client: ManagementClient | None = None) -> None:
        config = services.config.receivers.logs_api
        if config is None:
            raise ValueError("receivers.logs_api is not configured")
        if services.config.auth0 is None:
            raise ValueError("auth0 is not configured")
        self._config: LogsApiConfig = config
        self._services = services
        self._attributes = {"otel_auth0.receiver": self.name}
        self._client = client or ManagementClient(services.config.auth0, on_rate_limit=self._record_rate_limit)
        self._backoff = Backoff(initial=1.0, maximum=config.max_backoff)
        self.pages = 0
        self.rate_limited = 0

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
        """Poll until ``stop``; errors are retried with backoff, never raised."""
        next_url: str | None = None
        try:
            while not stop.is_set():
                try:
                    next_url, wait = await self._step(next_url, stop)
                except Auth0Error as error:
                    wait = self._failure_wait(error)
                    self._services.instruments.receiver_errors.add(
                        1, {**self._attributes, "error.type": error.error_type}
                    )
                    log.warning("logs_api: %s; retrying in %.1fs", error, wait)
                    if error.status == 429:
                        self.rate_limited += 1
                if wait > 0 and await sleep_or_stop(stop, wait):
                    break
        finally:
            await self._client.aclose()

    def _failure_wait(self, error: Auth0Error) -> float:
        if not error.retryable:
            # A configuration problem (scope, client) will not fix itself quickly: try again slowly.
            return self._config.max_backoff
        delay = self._backoff.next_delay()
        return max(delay, error.retry_after or 0.0)

    async def _step(self, next_url: str | None, stop: asyncio.Event) -> tuple[str | None, float]:
        """One request; returns the URL to request next and how long to wait before it."""
        url = next_url or await self._first_url()
        response = await self._client.get(url)
        self.pages += 1
        self._services.instruments.receiver_requests.add(1, self._attributes)
        self._services.instruments.receiver_last_success.set(time.time(), self._attributes)
        self._backoff.reset()
        events = self._events(response.body)
        following = response.next_link()
        if not events:
            self._services.instruments.ingest_lag.set(0.0, self._attributes)
            return following or url, self._config.interval * random.uniform(0.9, 1.1)
        cursor = max(str(event["log_id"]) for event in events)
        if not await self._submit(events, cursor, stop):
            return None, 0.0
        wait = 0.0
        if response.rate_limit.exhausted():
            wait = response.rate_limit.seconds_until_reset() or 1.0
        return following, wait

    async def _submit(self, events: list[Event], cursor: str, stop: asyncio.Event) -> bool:
        """Enqueue with the cursor; while the queue is full, wait (the poller pauses, nothing is dropped)."""
        while True:
            try:
                await asyncio.to_thread(self._services.intake.submit_events, events, self.name, (CHECKPOINT, cursor))
                return True
            except QueueFull as full:
                self._services.instruments.queue_refused.add(1, self._attributes)
                log.warning("logs_api paused: %s", full)
                if await sleep_or_stop(stop, QUEUE_FULL_WAIT):
                    return False

    def _events(self, body: Any) -> list[Event]:
        if not isinstance(body, list):
            raise Auth0Error("logs endpoint did not return a JSON array", retryable=True)
        events: list[Event] = []
        for item in body:
            try:
                event = normalize_event(item)
            except EventFormatError as error:
                self._services.instruments.receiver_errors.add(1, {**self._attributes, "error.type": "bad_event"})
                log.error("logs_api: skipping malformed log entry: %s", error)
                continue
            if isinstance(event.get("log_id"), str):
                events.append(event)
        return events

    async def _first_url(self) -> str:
        """``/api/v2/logs?from=<cursor>&take=N``; the cursor is resolved from ``start_from`` once."""
        checkpoint = self._services.intake.queue.get_checkpoint(CHECKPOINT)
        if checkpoint is None:
            cursor = await self._resolve_start()
            await asyncio.to_thread(self._services.intake.queue.set_checkpoint, CHECKPOINT, cursor)
        else:
            cursor = checkpoint.value
        take = self._config.take
        if cursor == START_OF_RETENTION:
            cursor = "0" * 56
        return f"{self._client.base_url}{LOGS_PATH}?from={cursor}&take={take}"

    async def _resolve_start(self) -> str:
        start = self._config.start_from
        if start == "oldest":
            return await self._edge_log_id("date:1", include=True) or START_OF_RETENTION
        if start == "latest":
            return await self._edge_log_id("date:-1", include=False) or START_OF_RETENTION
        instant = datetime.fromisoformat(start.replace("Z", "+00:00"))
        stamp = instant.strftime("%Y-%m-%dT%H:%M:%S")
        first = await self._edge_log_id("date:1", include=True, query=f"date:[{stamp} TO *]")
        if first is not None:
            return first
        return await self._edge_log_id("date:-1", include=False) or START_OF_RETENTION

    async def _edge_log_id(self, sort: str, include: bool, query: str | None = None) -> str | None:
        params: dict[str, str | int] = {"sort": sort, "per_page": 1, "page": 0}
        if query:
            params["q"] = query
        response = await self._client.get(LOGS_PATH, params)
        body = response.body.get("logs") if isinstance(response.body, dict) else response.body
        if not isinstance(body, list) or not body:
            return None
        log_id = str(body[0].get("log_id") or body[0].get("_id") or "")
        if not log_id:
            return None
        return preceding_log_id(log_id) if include else log_id
