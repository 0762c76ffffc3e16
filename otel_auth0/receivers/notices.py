"""``receivers.notices``: Auth0's changelog feed, its published outbound IP ranges, and its security
bulletins and the advisories of the Auth0 SDKs in use.

- Changelog: each new item becomes one log record ``auth0.changelog.item`` (deduped by guid, also
  across restarts).
- IP ranges: the JSON is fetched with ETag / If-Modified-Since; when the CIDRs of ``region`` differ
  from the last version seen (persisted; on the very first poll, from the snapshot shipped with the
  package), one WARN log record ``auth0.ip_ranges.changed`` lists the added and removed CIDRs, so
  firewall allowlists can be fixed before Auth0's outbound traffic is blocked.
- Security bulletins and SDK advisories: ``auth0.security_bulletin`` records on change (see
  :mod:`otel_auth0.receivers.security_bulletins`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
from opentelemetry.proto.logs.v1.logs_pb2 import SeverityNumber
from pydantic import Field, field_validator

from otel_auth0.auth0.http import async_client
from otel_auth0.auth0.ip_ranges import DEFAULT_URL as IP_RANGES_URL
from otel_auth0.auth0.ip_ranges import IpRangesError, diff, load_snapshot, parse_ranges
from otel_auth0.config.base import Duration
from otel_auth0.config.receivers import PeriodicSettings
from otel_auth0.convert.attributes import cap
from otel_auth0.convert.mapping import Converted
from otel_auth0.detections.engine import Observed
from otel_auth0.receivers.base import ReceiverFactory, Services
from otel_auth0.receivers.feed_fetch import FeedEntry, FetchError, feed_schedule, fetch_if_changed, parse_feed
from otel_auth0.receivers.periodic import PeriodicReceiver
from otel_auth0.receivers.records import log_record, submit
from otel_auth0.receivers.security_bulletins import (
    BULLETINS_SOURCE,
    BULLETINS_URL,
    SDK_ADVISORIES_URL,
    watch,
)
from otel_auth0.url_display import display_url

log = logging.getLogger(__name__)

SCOPE = "otel_auth0.notices"
CHANGELOG_URL = "https://auth0.com/changelog/rss.xml"
CHANGELOG_CHECKPOINT = "notices.changelog"
IP_RANGES_CHECKPOINT = "notices.ip_ranges"
SUMMARY_LIMIT = 2000


class NoticesConfig(PeriodicSettings):
    """Auth0 changelog, outbound IP-range, security-bulletin and SDK-advisory watcher."""

    interval: Duration = 3600.0
    changelog_url: str | None = None
    ip_ranges_url: str | None = None
    region: str = "US"
    security_bulletins: bool = True
    security_bulletins_url: str | None = None
    sdks: list[str] = Field(default_factory=list)
    sdk_advisories_url: str | None = None

    @field_validator("sdks")
    @classmethod
    def _github_repos(cls, value: list[str]) -> list[str]:
        bad = [sdk for sdk in value if not re.fullmatch(r"[\w.-]+/[\w.-]+", sdk)]
        if bad:
            raise ValueError(f"give GitHub owner/repo names (auth0/nextjs-auth0), not {', '.join(bad)}")
        return value

    @field_validator("sdk_advisories_url")
    @classmethod
    def _sdk_placeholder(cls, value: str | None) -> str | None:
        if value is not None and "{sdk}" not in value:
            raise ValueError("must contain {sdk} (replaced by owner/repo)")
        return value


def changelog_record(entry: FeedEntry, url: str) -> Converted:
    """One changelog item as a log record."""
    body = f"{entry.title}: {cap(entry.summary, SUMMARY_LIMIT)}" if entry.summary else entry.title
    record = log_record(
        "auth0.changelog.item",
        SeverityNumber.SEVERITY_NUMBER_INFO,
        body,
        {
            "auth0.changelog.id": entry.guid,
            "auth0.changelog.title": entry.title,
            "url.full": entry.link or url,
        },
        time_ns=entry.time_ns,
    )
    return Converted(key=f"changelog:{entry.guid}", logs=record)


def changelog_observation(entry: FeedEntry) -> Observed:
    """What the detection rules see of a changelog item (``match.source: notices``, ``type``
    ``changelog``, with ``guid``, ``title``, ``summary``, ``link`` and ``date``)."""
    event: dict[str, object] = {
        "type": "changelog",
        "guid": entry.guid,
        "title": entry.title,
        "summary": entry.summary,
        "link": entry.link,
    }
    if entry.time_ns is not None:
        event["date"] = datetime.fromtimestamp(entry.time_ns / 1e9, UTC).isoformat().replace("+00:00", "Z")
    return Observed(event, source="notices")


def ip_ranges_record(region: str, added: tuple[str, ...], removed: tuple[str, ...], url: str) -> Converted:
    """The WARN record for a change of ``region``'s outbound ranges."""
    body = (
        f"Auth0 outbound IP ranges for region {region} changed: added {', '.join(added) or 'none'}; "
        f"removed {', '.join(removed) or 'none'}. Update firewall allowlists."
    )
    record = log_record(
        "auth0.ip_ranges.changed",
        SeverityNumber.SEVERITY_NUMBER_WARN,
        body,
        {
            "auth0.ip_ranges.region": region,
            "auth0.ip_ranges.added": list(added),
            "auth0.ip_ranges.removed": list(removed),
            "url.full": url,
        },
    )
    digest = hashlib.sha256("\0".join((region, *added, "|", *removed)).encode()).hexdigest()[:24]
    return Converted(key=f"ip_ranges:{digest}", logs=record)


class NoticesReceiver(PeriodicReceiver):
    """Polls the changelog, the IP ranges and the bulletins every interval (a failed fetch backs off)."""

    name = "notices"

    def __init__(self, config: NoticesConfig, services: Services) -> None:
        super().__init__(feed_schedule(self.name, config.interval, services))
        self._services = services
        self._config = config
        self.changelog_url = config.changelog_url or CHANGELOG_URL
        self.ip_ranges_url = config.ip_ranges_url or IP_RANGES_URL
        advisories = config.sdk_advisories_url or SDK_ADVISORIES_URL
        self.bulletin_urls = {
            **(
                {BULLETINS_SOURCE: config.security_bulletins_url or BULLETINS_URL}
                if config.security_bulletins
                else {}
            ),
            **{sdk: advisories.replace("{sdk}", sdk) for sdk in config.sdks},
        }
        auth0 = services.auth0
        self._ca_file: Path | None = auth0.ca_file if auth0 else None
        self._timeout = auth0.timeout if auth0 else 30.0

    async def tick(self) -> None:
        """Every source once (each is tried even when another fails; the first failure is raised)."""
        failures: list[FetchError] = []
        async with async_client(self._ca_file, self._timeout) as client:
            for poll in (self._changelog, self._ip_ranges, self._bulletins):
                try:
                    await poll(client)
                except FetchError as error:
                    failures.append(error)
        if failures:
            raise failures[0]

    async def _changelog(self, client: httpx.AsyncClient) -> None:
        validators, content = await fetch_if_changed(
            client, self._services, CHANGELOG_CHECKPOINT, self.changelog_url
        )
        if content is None:
            return
        entries = await parse_feed(content)
        items = [changelog_record(entry, self.changelog_url) for entry in entries]
        checkpoint = (CHANGELOG_CHECKPOINT, validators.dump())
        observed = [changelog_observation(entry) for entry in entries]
        await submit(self._services, items, SCOPE, checkpoint, observed)

    async def _bulletins(self, client: httpx.AsyncClient) -> None:
        """Security bulletins and SDK advisories; every source is tried, the first failure is raised."""
        failures = []
        for source, url in self.bulletin_urls.items():
            try:
                await watch(client, self._services, SCOPE, source, url)
            except FetchError as error:
                failures.append(error)
        if failures:
            raise failures[0]

    async def _ip_ranges(self, client: httpx.AsyncClient) -> None:
        validators, content = await fetch_if_changed(
            client, self._services, IP_RANGES_CHECKPOINT, self.ip_ranges_url
        )
        if content is None:
            return
        try:
            ranges = parse_ranges(content)
        except IpRangesError as exc:
            raise FetchError(f"{display_url(self.ip_ranges_url)}: {exc}", "bad_document") from None
        previous = validators.extra.get("ranges")
        baseline = previous if isinstance(previous, dict) else load_snapshot()
        validators.extra["ranges"] = ranges
        checkpoint = (IP_RANGES_CHECKPOINT, validators.dump())
        change = diff(baseline, ranges).get(self._config.region)
        if change is None:
            await asyncio.to_thread(self._services.intake.set_checkpoint, *checkpoint)
            return
        log.warning(
            "notices: Auth0 outbound IP ranges for %s changed: +%s -%s",
            self._config.region,
            list(change.added),
            list(change.removed),
        )
        item = ip_ranges_record(self._config.region, change.added, change.removed, self.ip_ranges_url)
        await submit(self._services, [item], SCOPE, checkpoint)


FACTORY = ReceiverFactory("notices", NoticesConfig, NoticesReceiver)
