"""Monitoring endpoints and the feeds around a tenant, with controllable content.

Served: ``GET /test`` (``{"clock": ms}``), ``GET /testall`` (``OK``), ``GET /feeds/status.rss``
(status.auth0.com-style RSS for the tenant), ``GET /feeds/changelog.rss`` (changelog RSS) and
``GET /ip-ranges.json`` (cdn.auth0.com format; starts as the packaged snapshot), ``GET /security-bulletins``
(an HTML page listing Auth0-style security bulletins) and ``GET /sdk-advisories/{owner}/{repo}`` (GitHub's
security-advisories JSON for an SDK, empty until set). Feeds, the ranges, the bulletins page and the
advisories answer ``ETag``/``Last-Modified`` and 304 to ``If-None-Match``/``If-Modified-Since``.

Controls:
- ``POST /_sim/health`` ``{"/test": 503, "/testall": 200}``: status codes the endpoints answer with.
- ``POST /_sim/feeds/status`` / ``/_sim/feeds/changelog`` ``{"items": [{"guid"?, "title", "description"?,
  "link"?}]}``: add items (an existing guid is updated and moves to the top); ``DELETE`` empties the feed.
- ``PUT /_sim/ip-ranges``: replace the ranges document (validated).
- ``POST /_sim/security-bulletins`` ``{"items": [{"id", "title"}]}``: publish bulletins (newest first).
- ``POST /_sim/sdk-advisories/{owner}/{repo}`` ``{"advisories": [{"ghsa_id", "summary", "severity"?}]}``:
  publish advisories for an SDK.
"""

from __future__ import annotations

import hashlib
import html
import json
import secrets
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from otel_auth0.auth0.ip_ranges import IpRangesError, load_snapshot_document, parse_ranges
from otel_auth0_sim.state import TenantState

BULLETINS_SEED = (
    {"id": "cve-2024-00001", "title": "Security bulletin: simulated SDK issue (CVE-2024-00001)"},
    {"id": "cve-2025-00002", "title": "Security bulletin: simulated tenant setting (CVE-2025-00002)"},
)
CHANGELOG_SEED = (
    {"guid": "https://auth0.com/changelog#sim-1", "title": "Simulated changelog entry 1"},
    {"guid": "https://auth0.com/changelog#sim-2", "title": "Simulated changelog entry 2"},
)


@dataclass
class Document:
    """A versioned body: ETag and Last-Modified change whenever the content does."""

    body: bytes = b""
    modified: float = field(default_factory=time.time)

    @property
    def etag(self) -> str:
        """Strong ETag of the body."""
        return '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'

    def set(self, body: bytes) -> None:
        """Replace the body (a new Last-Modified only when it differs)."""
        if body != self.body:
            self.body = body
            self.modified = time.time()

    def respond(self, request: Request, media_type: str) -> Response:
        """200 with validators, or 304 when the client's copy is current."""
        last_modified = format_datetime(datetime.fromtimestamp(int(self.modified), UTC), usegmt=True)
        headers = {"ETag": self.etag, "Last-Modified": last_modified, "Cache-Control": "no-cache"}
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is not None:
            if self.etag in [tag.strip() for tag in if_none_match.split(",")]:
                return Response(status_code=304, headers=headers)
        elif (since := request.headers.get("if-modified-since")) is not None:
            try:
                if int(self.modified) <= parsedate_to_datetime(since).timestamp():
                    return Response(status_code=304, headers=headers)
            except (TypeError, ValueError):
                pass
        return Response(self.body, media_type=media_type, headers=headers)


@dataclass
class Feed:
    """An RSS 2.0 channel whose items are keyed by guid, newest first."""

    title: str
    link: str
    items: list[dict[str, str]] = field(default_factory=list)
    document: Document = field(default_factory=Document)

    def __post_init__(self) -> None:
        self.render()

    def upsert(self, given: dict[str, Any]) -> dict[str, str]:
        """Add or update one item."""
        title = given.get("title")
        if not isinstance(title, str) or not title:
            raise ValueError("every item needs a non-empty 'title'")
        guid = str(given.get("guid") or f"{self.link}#{secrets.token_hex(6)}")
        item = {
            "guid": guid,
            "title": title,
            "description": str(given.get("description", "")),
            "link": str(given.get("link") or guid),
            "pubDate": format_datetime(datetime.now(UTC), usegmt=True),
        }
        self.items = [item, *(i for i in self.items if i["guid"] != guid)]
        self.render()
        return item

    def clear(self) -> None:
        """Remove every item."""
        self.items = []
        self.render()

    def render(self) -> None:
        """Serialise the channel."""
        rss = ET.Element("rss", version="2.0")
        channel = ET.SubElement(rss, "channel")
        for tag, text in (("title", self.title), ("link", self.link), ("description", self.title)):
            ET.SubElement(channel, tag).text = text
        for item in self.items:
            node = ET.SubElement(channel, "item")
            for tag in ("title", "description", "link", "pubDate"):
                ET.SubElement(node, tag).text = item[tag]
            ET.SubElement(node, "guid", isPermaLink="false").text = item["guid"]
        self.document.set(ET.tostring(rss, encoding="utf-8", xml_declaration=True))


@dataclass
class FeedsState:
    """Endpoint health, the two feeds and the ranges document."""

    status: Feed
    changelog: Feed
    ip_ranges: Document
    health: dict[str, int] = field(default_factory=lambda: {"/test": 200, "/testall": 200})
    bulletins: list[dict[str, str]] = field(default_factory=lambda: [dict(b) for b in BULLETINS_SEED])
    bulletins_page: Document = field(default_factory=Document)
    advisories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    advisory_documents: dict[str, Document] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.render_bulletins()

    def render_bulletins(self) -> None:
        """The bulletins page, newest first."""
        rows = "".join(
            f'<li><a href="/security-bulletins/{html.escape(b["id"])}">{html.escape(b["title"])}</a></li>'
            for b in self.bulletins
        )
        page = f"<html><head><title>Security Bulletins</title></head><body><ul>{rows}</ul></body></html>"
        self.bulletins_page.set(page.encode())

    def advisory_document(self, sdk: str) -> Document:
        """The advisories JSON of ``sdk`` (``owner/repo``)."""
        if sdk not in self.advisory_documents:
            self.advisory_documents[sdk] = Document(json.dumps(self.advisories.get(sdk, [])).encode())
        return self.advisory_documents[sdk]

    @classmethod
    def for_tenant(cls, state: TenantState) -> FeedsState:
        """Empty status feed, a seeded changelog, the packaged ranges."""
        changelog = Feed("Auth0 Changelog", "https://auth0.com/changelog")
        for item in CHANGELOG_SEED:
            changelog.upsert(dict(item))
        ranges = Document(json.dumps(load_snapshot_document(), indent=2).encode())
        return cls(Feed(f"Auth0 Status - {state.hostname}", "https://status.auth0.com"), changelog, ranges)


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        return None


def feed_routes(state: TenantState, feeds: FeedsState) -> list[Route]:
    """Public endpoints and ``/_sim/`` controls."""

    async def test(request: Request) -> Response:
        status = feeds.health["/test"]
        if status != 200:
            return JSONResponse({"error": "service unavailable"}, status)
        return JSONResponse({"clock": int(time.time() * 1000)})

    async def testall(request: Request) -> Response:
        status = feeds.health["/testall"]
        return PlainTextResponse("OK" if status == 200 else "Service Unavailable", status)

    async def status_feed(request: Request) -> Response:
        return feeds.status.document.respond(request, "application/rss+xml")

    async def changelog_feed(request: Request) -> Response:
        return feeds.changelog.document.respond(request, "application/rss+xml")

    async def ip_ranges(request: Request) -> Response:
        return feeds.ip_ranges.respond(request, "application/json")

    async def health(request: Request) -> JSONResponse:
        body = await _json(request)
        if not isinstance(body, dict) or not all(
            path in feeds.health and isinstance(code, int) and 200 <= code <= 599
            for path, code in body.items()
        ):
            return JSONResponse({"error": 'expected {"/test"|"/testall": HTTP status}'}, 400)
        feeds.health.update(body)
        return JSONResponse(feeds.health)

    def feed_control(feed: Feed) -> Any:
        async def control(request: Request) -> JSONResponse:
            if request.method == "DELETE":
                feed.clear()
            elif request.method == "POST":
                body = await _json(request)
                items = body.get("items") if isinstance(body, dict) else None
                if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                    return JSONResponse({"error": 'expected {"items": [{"title": ...}, ...]}'}, 400)
                try:
                    for item in items:
                        feed.upsert(item)
                except ValueError as exc:
                    return JSONResponse({"error": str(exc)}, 400)
            return JSONResponse({"items": feed.items, "etag": feed.document.etag})

        return control

    async def ip_ranges_control(request: Request) -> JSONResponse:
        body = await _json(request)
        try:
            parse_ranges(body)
        except IpRangesError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        feeds.ip_ranges.set(json.dumps(body, indent=2).encode())
        return JSONResponse({"etag": feeds.ip_ranges.etag})

    async def bulletins_page(request: Request) -> Response:
        return feeds.bulletins_page.respond(request, "text/html")

    async def advisories(request: Request) -> Response:
        sdk = f"{request.path_params['owner']}/{request.path_params['repo']}"
        return feeds.advisory_document(sdk).respond(request, "application/json")

    async def bulletins_control(request: Request) -> JSONResponse:
        body = await _json(request)
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not all(
            isinstance(i, dict) and isinstance(i.get("id"), str) and isinstance(i.get("title"), str)
            for i in items
        ):
            return JSONResponse({"error": 'expected {"items": [{"id": str, "title": str}, ...]}'}, 400)
        feeds.bulletins = [*({"id": i["id"], "title": i["title"]} for i in items), *feeds.bulletins]
        feeds.render_bulletins()
        return JSONResponse({"items": feeds.bulletins, "etag": feeds.bulletins_page.etag})

    async def advisories_control(request: Request) -> JSONResponse:
        sdk = f"{request.path_params['owner']}/{request.path_params['repo']}"
        body = await _json(request)
        given = body.get("advisories") if isinstance(body, dict) else None
        if not isinstance(given, list) or not all(isinstance(a, dict) and a.get("ghsa_id") for a in given):
            return JSONResponse({"error": 'expected {"advisories": [{"ghsa_id": str, "summary": str}]}'}, 400)
        feeds.advisories[sdk] = [*given, *feeds.advisories.get(sdk, [])]
        document = feeds.advisory_document(sdk)
        document.set(json.dumps(feeds.advisories[sdk]).encode())
        return JSONResponse({"advisories": feeds.advisories[sdk], "etag": document.etag})

    return [
        Route("/test", test, methods=["GET"]),
        Route("/security-bulletins", bulletins_page, methods=["GET"]),
        Route("/sdk-advisories/{owner}/{repo}", advisories, methods=["GET"]),
        Route("/_sim/security-bulletins", bulletins_control, methods=["POST"]),
        Route("/_sim/sdk-advisories/{owner}/{repo}", advisories_control, methods=["POST"]),
        Route("/testall", testall, methods=["GET"]),
        Route("/feeds/status.rss", status_feed, methods=["GET"]),
        Route("/feeds/changelog.rss", changelog_feed, methods=["GET"]),
        Route("/ip-ranges.json", ip_ranges, methods=["GET"]),
        Route("/_sim/health", health, methods=["POST"]),
        Route("/_sim/feeds/status", feed_control(feeds.status), methods=["GET", "POST", "DELETE"]),
        Route("/_sim/feeds/changelog", feed_control(feeds.changelog), methods=["GET", "POST", "DELETE"]),
        Route("/_sim/ip-ranges", ip_ranges_control, methods=["PUT"]),
    ]
