"""Security bulletins and SDK advisories, watched by ``receivers.notices``.

Auth0's security-bulletins page and, for each Auth0 SDK the team declares (``receivers.notices.sdks``,
GitHub ``owner/repo``), its published security advisories are fetched with ETag / If-Modified-Since.
When a document's content hash differs from the last one seen (persisted per source; the first fetch
only sets the baseline), one ``auth0.security_bulletin`` log record names the source and the new
entries: WARN when there are new bulletins or advisories, INFO when only the page changed.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import re
from typing import Any

import httpx
from opentelemetry.proto.logs.v1.logs_pb2 import SeverityNumber

from otel_auth0.convert.mapping import Converted
from otel_auth0.receivers.base import Services
from otel_auth0.receivers.feed_fetch import fetch_if_changed
from otel_auth0.receivers.records import log_record, submit

BULLETINS_URL = "https://auth0.com/docs/secure/security-guidance/security-bulletins"
SDK_ADVISORIES_URL = "https://api.github.com/repos/{sdk}/security-advisories"
BULLETINS_SOURCE = "auth0"
NEW_LIMIT = 20
LINK = re.compile(r"<a\b[^>]*\bhref=[\"']([^\"']+)[\"'][^>]*>(.*?)</a>", re.I | re.S)
BULLETIN_HINT = re.compile(r"bulletin|advisor|cve-\d{4}-\d+|ghsa-", re.I)
TAG = re.compile(r"<[^>]+>")


def entries(content: bytes) -> dict[str, str]:
    """``{id: title}`` of the bulletins or advisories in a document: GitHub's advisory JSON
    (``ghsa_id``, ``severity``, ``summary``), else the bulletin links of an HTML page."""
    try:
        data: Any = json.loads(content)
    except ValueError:
        data = None
    if isinstance(data, list):
        return {
            str(item["ghsa_id"]): f"{item.get('severity', '?')}: {item.get('summary', '')}".strip()
            for item in data
            if isinstance(item, dict) and item.get("ghsa_id")
        }
    found = {}
    for href, text in LINK.findall(content.decode("utf-8", errors="replace")):
        title = html.unescape(TAG.sub("", text)).strip()
        if title and BULLETIN_HINT.search(f"{href} {title}"):
            found[html.unescape(href)] = title
    return found


def bulletin_record(source: str, url: str, new: list[str], digest: str) -> Converted:
    """The record for a changed bulletins page or advisories list."""
    what = "Auth0 security bulletins" if source == BULLETINS_SOURCE else f"security advisories of {source}"
    body = f"New {what}: {'; '.join(new)}" if new else f"{what} changed (no new entry recognised)"
    record = log_record(
        "auth0.security_bulletin",
        SeverityNumber.SEVERITY_NUMBER_WARN if new else SeverityNumber.SEVERITY_NUMBER_INFO,
        body,
        {
            "auth0.security_bulletin.source": source,
            "auth0.security_bulletin.new": new,
            "auth0.security_bulletin.content_hash": digest,
            "url.full": url,
        },
    )
    return Converted(key=f"security_bulletin:{source}:{digest}", logs=record)


async def watch(client: httpx.AsyncClient, services: Services, scope: str, source: str, url: str) -> None:
    """Fetch ``url`` if changed; emit a record when its content hash moved since the last fetch."""
    checkpoint = f"notices.security_bulletins.{source}"
    validators, content = await fetch_if_changed(client, services, checkpoint, url)
    if content is None:
        return
    digest = hashlib.sha256(content).hexdigest()
    previous_hash = validators.extra.get("hash")
    seen = set(validators.extra.get("entries") or [])
    current = entries(content)
    validators.extra.update(hash=digest, entries=sorted(current))
    items = []
    if previous_hash is not None and previous_hash != digest:
        new = [current[key] for key in sorted(current) if key not in seen][:NEW_LIMIT]
        items.append(bulletin_record(source, url, new, digest[:24]))
    if not items:
        await asyncio.to_thread(services.intake.set_checkpoint, checkpoint, validators.dump())
        return
    await submit(services, items, scope, (checkpoint, validators.dump()))
