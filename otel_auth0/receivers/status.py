"""``receivers.status``: the tenant's Auth0 status feed (RSS/Atom), polled with ETag /
If-Modified-Since. Each new incident or incident update becomes one log record
``auth0.status.incident`` (deduped by guid and update, across restarts through the queue's dedupe
index); ``auth0.status.incidents.open`` counts the feed's unresolved incidents."""

from __future__ import annotations

import logging
import re
from typing import ClassVar

from opentelemetry.proto.logs.v1.logs_pb2 import SeverityNumber

from otel_auth0.auth0.http import async_client
from otel_auth0.config.auth0 import Auth0Config
from otel_auth0.config.base import Duration
from otel_auth0.config.receivers import PeriodicSettings
from otel_auth0.convert.mapping import Converted
from otel_auth0.receivers.base import ReceiverFactory, Services
from otel_auth0.receivers.feed_fetch import FeedEntry, Validators, feed_schedule, fetch_if_changed, parse_feed
from otel_auth0.receivers.periodic import PeriodicReceiver
from otel_auth0.receivers.records import log_record, submit

log = logging.getLogger(__name__)

SCOPE = "otel_auth0.status"
CHECKPOINT = "status.feed"
DEFAULT_URL = "https://status.auth0.com/feed?domain={domain}"
_STATUS_WORDS = re.compile(
    r"\b(resolved|completed|postmortem|monitoring|identified|investigating|verifying|in progress|scheduled"
    r"|update)\b",
    re.IGNORECASE,
)
CLOSED = frozenset({"resolved", "completed", "postmortem"})


class StatusConfig(PeriodicSettings):
    """Auth0 status feed watcher."""

    needs_tenant: ClassVar[bool] = True

    interval: Duration = 300.0
    url: str | None = None


def status_url(auth0: Auth0Config, config: StatusConfig) -> str:
    """The configured URL, else Auth0's per-tenant feed."""
    return config.url or DEFAULT_URL.format(domain=auth0.domain)


def incident_status(entry: FeedEntry) -> str:
    """The latest status word of an incident (``investigating``, ``resolved``…), ``unknown`` if none."""
    for text in (entry.summary, entry.title):
        match = _STATUS_WORDS.search(text)
        if match:
            return match.group(1).lower()
    return "unknown"


def incident_record(entry: FeedEntry, url: str) -> Converted:
    """One incident or update as a log record, keyed for dedupe."""
    status = incident_status(entry)
    record = log_record(
        "auth0.status.incident",
        SeverityNumber.SEVERITY_NUMBER_INFO if status in CLOSED else SeverityNumber.SEVERITY_NUMBER_WARN,
        f"{entry.title}: {entry.summary}" if entry.summary else entry.title,
        {
            "auth0.status.incident.id": entry.guid,
            "auth0.status.incident.title": entry.title,
            "auth0.status.incident.status": status,
            "url.full": entry.link or url,
            "auth0.status.feed": url,
        },
        time_ns=entry.time_ns,
    )
    return Converted(key=f"status:{entry.guid}:{entry.version}", logs=record)


class StatusReceiver(PeriodicReceiver):
    """Polls the status feed every interval (a failed fetch backs off)."""

    name = "status"

    def __init__(self, config: StatusConfig, services: Services) -> None:
        super().__init__(feed_schedule(self.name, config.interval, services))
        self._services = services
        self._auth0 = services.require_auth0()
        self.url = status_url(self._auth0, config)

    async def tick(self) -> None:
        """One conditional fetch; new incidents and updates are queued."""
        async with async_client(self._auth0.ca_file, self._auth0.timeout) as client:
            validators, content = await fetch_if_changed(client, self._services, CHECKPOINT, self.url)
        if content is None:
            self._record_open(validators)
            return
        entries = await parse_feed(content)
        validators.extra["open"] = sum(1 for e in entries if incident_status(e) not in CLOSED)
        items = [incident_record(entry, self.url) for entry in entries]
        if await submit(self._services, items, SCOPE, (CHECKPOINT, validators.dump())) is not None:
            self._record_open(validators)

    def _record_open(self, validators: Validators) -> None:
        open_count = validators.extra.get("open")
        if isinstance(open_count, int):
            self._services.instruments.status_incidents_open.set(open_count, {"auth0.status.feed": self.url})


FACTORY = ReceiverFactory("status", StatusConfig, StatusReceiver)
