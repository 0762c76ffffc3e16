"""Service-status gates: the tenant's status feed is reachable and watched; external identity
providers the tenant uses are reachable."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from otel_auth0.auth0.http import async_client
from otel_auth0.config import Config
from otel_auth0.readiness.result import CheckResult, failed, passed, skipped
from otel_auth0.receivers.feed_fetch import FetchError, parse_feed
from otel_auth0.receivers.status import StatusConfig, status_url

TIMEOUT = 10.0


def check_status_feed(config: Config) -> CheckResult:
    """The status feed parses as RSS/Atom and ``receivers.status`` watches it."""
    title = "The tenant's status feed is reachable and watched"
    if config.auth0 is None:
        return skipped("status_feed", title, "status feed", "no auth0 section")
    url = status_url(config.auth0, config.receivers.section(StatusConfig) or StatusConfig())

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
    if config.receivers.section(StatusConfig) is None:
        return failed(
            "status_feed",
            title,
            f"GET {url}",
            f"reachable ({entries} entries) but not watched",
            "add receivers.status so incidents become telemetry and alerts",
        )
    return passed("status_feed", title, f"GET {url}", f"watched, {entries} entries")


#: a public endpoint of each social provider (discovery document, else its token or authorize endpoint)
SOCIAL_ENDPOINTS = {
    "google-oauth2": "https://accounts.google.com/.well-known/openid-configuration",
    "windowslive": "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
    "apple": "https://appleid.apple.com/.well-known/openid-configuration",
    "linkedin": "https://www.linkedin.com/oauth/.well-known/openid-configuration",
    "facebook": "https://www.facebook.com/.well-known/openid-configuration/",
    "github": "https://github.com/login/oauth/authorize",
    "twitter": "https://api.twitter.com/oauth/request_token",
    "amazon": "https://api.amazon.com/auth/o2/token",
}
ENTERPRISE_URL_KEYS = (
    "discovery_url",
    "oidc_metadata_url",
    "metadataUrl",
    "token_endpoint",
    "signInEndpoint",
)


def idp_urls(connections: list[dict[str, Any]], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """``{connection: URL}`` to reach: the provider endpoint of social connections, the discovery /
    metadata / sign-in URL of OIDC and SAML ones. ``overrides`` (``readiness.provider_endpoints``) maps a
    connection name or a strategy to the URL to use instead."""
    overrides = overrides or {}
    urls = {}
    for connection in connections:
        name, strategy = str(connection.get("name")), str(connection.get("strategy"))
        options = connection.get("options") or {}
        found = [options[key] for key in ENTERPRISE_URL_KEYS if str(options.get(key, "")).startswith("http")]
        url = overrides.get(name) or overrides.get(strategy) or SOCIAL_ENDPOINTS.get(strategy)
        if url or found:
            urls[name] = url or found[0]
    return urls


def check_idps(
    config: Config, connections: list[dict[str, Any]], configured: list[str] | None
) -> CheckResult:
    """Every external identity provider URL answers (any status below 500)."""
    title = "External identity providers are reachable"
    overrides = config.readiness.provider_endpoints if config.readiness else {}
    urls = {url: url for url in configured} if configured is not None else idp_urls(connections, overrides)
    if not urls:
        return skipped(
            "idps", title, "connections[] provider endpoints", "the tenant uses no social, OIDC or SAML IdP"
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
            "check the provider's status, egress to it, and the connection's discovery / metadata URL",
        )
    return passed("idps", title, checked, f"{len(urls)} identity providers reachable: {', '.join(urls)}")
