"""Service-status gates: the tenant's status feed is reachable and watched; external identity
providers the tenant uses are reachable."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from otel_auth0.auth0.http import async_client
from otel_auth0.config import Config, StatusConfig
from otel_auth0.readiness.result import CheckResult, failed, passed, skipped
from otel_auth0.receivers.feed_fetch import FetchError, parse_feed
from otel_auth0.receivers.status import status_url

TIMEOUT = 10.0


def check_status_feed(config: Config) -> CheckResult:
    """The status feed parses as RSS/Atom and ``receivers.status`` watches it."""
    title = "The tenant's status feed is reachable and watched"
    if config.auth0 is None:
        return skipped("status_feed", title, "status feed", "no auth0 section")
    url = status_url(config.auth0, config.receivers.status or StatusConfig())

    async def fetch() -> int:
        async with async_client(config.auth0.ca_file if config.auth0 else None, TIMEOUT) as client:
            response = await client.get(url)
            response.raise_for_status()
            return len(await parse_feed(response.content))

    try:
        entries = asyncio.run(fetch())
    except (httpx.HTTPError, FetchError) as error:
        return failed(
            "status_feed",
            title,
            f"GET {url}",
            f"feed unusable: {error}",
            "check receivers.status.url and egress",
        )
    if config.receivers.status is None:
        return failed(
            "status_feed",
            title,
            f"GET {url}",
            f"reachable ({entries} entries) but not watched",
            "add receivers.status so incidents become telemetry and alerts",
        )
    return passed("status_feed", title, f"GET {url}", f"watched, {entries} entries")


def idp_urls(connections: list[dict[str, Any]]) -> dict[str, str]:
    """``{connection: URL}`` to reach for enterprise/OIDC connections (discovery or metadata URL)."""
    urls = {}
    for connection in connections:
        options = connection.get("options") or {}
        for key in ("discovery_url", "oidc_metadata_url", "metadataUrl", "token_endpoint"):
            if isinstance(options.get(key), str) and options[key].startswith("http"):
                urls[str(connection.get("name"))] = options[key]
                break
    return urls


def check_idps(
    config: Config, connections: list[dict[str, Any]], configured: list[str] | None
) -> CheckResult:
    """Every external identity provider URL answers (any status below 500)."""
    title = "External identity providers are reachable"
    urls = {url: url for url in configured} if configured is not None else idp_urls(connections)
    if not urls:
        return skipped(
            "idps", title, "connections[].options discovery URLs", "the tenant uses no external OIDC/SAML IdP"
        )
    ca_file = config.auth0.ca_file if config.auth0 else None

    async def reach_all() -> dict[str, str]:
        problems = {}
        async with async_client(ca_file, TIMEOUT) as client:
            for name, url in urls.items():
                try:
                    response = await client.get(url)
                    if response.status_code >= 500:
                        problems[name] = f"HTTP {response.status_code}"
                except httpx.HTTPError as error:
                    problems[name] = f"{type(error).__name__}: {error}"
        return problems

    problems = asyncio.run(reach_all())
    checked = ", ".join(f"{name}={url}" for name, url in urls.items())
    if problems:
        return failed(
            "idps",
            title,
            checked,
            "unreachable: " + "; ".join(f"{name} ({why})" for name, why in problems.items()),
            "check the IdP's status and the connection's discovery URL",
        )
    return passed("idps", title, checked, f"{len(urls)} reachable")
