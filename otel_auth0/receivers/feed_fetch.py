"""Conditional GET (``If-None-Match`` / ``If-Modified-Since``) with validators persisted as a
checkpoint, and RSS/Atom entries via feedparser."""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

import feedparser
import httpx

from otel_auth0.backoff import Backoff
from otel_auth0.receivers.base import Services
from otel_auth0.scheduler import Schedule, error_type
from otel_auth0.state.checkpoints import CheckpointStore
from otel_auth0.url_display import display_url

_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


class FetchError(Exception):
    """The source answered with an error or could not be reached; ``error_type`` is low-cardinality."""

    def __init__(self, message: str, error_type: str) -> None:
        super().__init__(message)
        self.error_type = error_type


@dataclass
class Validators:
    """What a conditional GET sends back, plus any receiver state stored alongside."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, store: CheckpointStore, name: str, url: str) -> Validators:
        """The stored validators for ``url`` (none when the URL changed)."""
        stored = store.get_checkpoint(name)
        if stored is not None:
            try:
                value = json.loads(stored.value)
                if value.get("url") == url:
                    return cls(url, value.get("etag"), value.get("last_modified"), value.get("extra") or {})
            except (ValueError, AttributeError):
                pass
        return cls(url)

    def dump(self) -> str:
        """Checkpoint value."""
        return json.dumps(
            {"url": self.url, "etag": self.etag, "last_modified": self.last_modified, "extra": self.extra}
        )


async def conditional_get(client: httpx.AsyncClient, validators: Validators) -> bytes | None:
    """The body when it changed (validators updated in place), ``None`` on 304."""
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    try:
        response = await client.get(validators.url, headers=headers)
    except httpx.TimeoutException as exc:
        raise FetchError(f"GET {display_url(validators.url)} timed out: {exc!r}", "timeout") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"GET {display_url(validators.url)} failed: {exc!r}", "network") from exc
    if response.status_code == 304:
        return None
    if response.status_code != 200:
        kind = "http_5xx" if response.status_code >= 500 else f"http_{response.status_code}"
        raise FetchError(f"GET {display_url(validators.url)} answered {response.status_code}", kind)
    validators.etag = response.headers.get("etag")
    validators.last_modified = response.headers.get("last-modified")
    return response.content


async def fetch_if_changed(
    client: httpx.AsyncClient, services: Services, checkpoint: str, url: str
) -> tuple[Validators, bytes | None]:
    """The persisted validators of ``url`` and its content, or ``None`` when unchanged (304); counts the
    request in ``otel_auth0.receiver.requests``."""
    validators = await asyncio.to_thread(Validators.load, services.intake, checkpoint, url)
    content = await conditional_get(client, validators)
    services.instruments.receiver_requests.add(1, services.source)
    return validators, content


def feed_schedule(name: str, interval: float, services: Services) -> Schedule:
    """Every ``interval`` (jittered); a :class:`FetchError` backs off from 5 s up to the interval."""
    return Schedule(
        name,
        interval,
        Backoff(initial=5.0, maximum=interval),
        expected=(FetchError,),
        on_failure=lambda error: services.failed(error, error_type(error)),
        on_success=services.succeeded,
    )


@dataclass(frozen=True)
class FeedEntry:
    """One RSS/Atom item; ``version`` changes whenever the item is updated."""

    guid: str
    title: str
    summary: str
    link: str
    time_ns: int | None
    version: str


def plain_text(markup: str) -> str:
    """HTML fragment → single-spaced text."""
    return _SPACES.sub(" ", html.unescape(_TAGS.sub(" ", markup))).strip()


def _time_ns(entry: Any) -> int | None:
    for key in ("updated_parsed", "published_parsed"):
        parsed = entry.get(key)
        if parsed:
            return calendar.timegm(parsed) * 1_000_000_000
    return None


def _parse(content: bytes) -> list[FeedEntry]:
    parsed = feedparser.parse(content)
    if parsed.get("bozo") and not parsed.entries:
        raise FetchError(f"not an RSS/Atom feed: {parsed.get('bozo_exception')}", "bad_feed")
    entries = []
    for entry in parsed.entries:
        title = plain_text(str(entry.get("title", "")))
        summary = plain_text(str(entry.get("summary", "")))
        link = str(entry.get("link", ""))
        guid = str(entry.get("id") or link or title)
        stamp = str(entry.get("updated") or entry.get("published") or "")
        version = hashlib.sha256("\0".join((stamp, title, summary)).encode()).hexdigest()[:16]
        entries.append(FeedEntry(guid, title, summary, link, _time_ns(entry), version))
    return entries


async def parse_feed(content: bytes) -> list[FeedEntry]:
    """Entries of an RSS or Atom document (parsed off the event loop)."""
    return await asyncio.to_thread(_parse, content)
