"""Management API client of the logs poller: client-credentials token cached until shortly before
expiry, rate-limit headers surfaced on every response, errors classified as retryable or not.

Every other Management API read goes through Auth0's SDK (:mod:`otel_auth0.auth0.sdk`). This hand-written
client stays for the poller because the SDK cannot do what the poller needs: ``logs.list`` in
``auth0-python`` 6.x has no checkpoint parameters (``from`` / ``take``) and parses only the search
envelope, while the poller walks the checkpoint, follows each response's ``Link: rel="next"`` and reads
each response's ``x-ratelimit-*`` headers to pace itself. ``tests/integration/test_poller_sdk_types.py``
checks its requests and responses against the SDK's types."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from otel_auth0.auth0.http import async_client
from otel_auth0.auth0.ratelimit import RateLimit, retry_after_seconds
from otel_auth0.config import Auth0Config

TOKEN_REFRESH_MARGIN = 300.0


# Failures a person must fix, not a transient fault (``Auth0Error.kind``, the ``error.type`` of
# otel_auth0.receiver.errors): refused client credentials, a missing scope (read:logs), a domain that
# does not resolve, a tenant that does not answer.
CREDENTIALS, SCOPE, DNS, UNREACHABLE = "credentials", "scope", "dns", "unreachable"
SETUP_ERROR_KINDS = (CREDENTIALS, SCOPE, DNS, UNREACHABLE)
_DNS_MESSAGES = ("name or service not known", "temporary failure in name resolution", "nodename nor servname")


class Auth0Error(Exception):
    """A failure talking to Auth0; ``retryable`` says whether waiting and trying again can help;
    ``kind`` names a failure of the set-up (one of :data:`SETUP_ERROR_KINDS`) when it is one."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool,
        retry_after: float | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        self.kind = kind

    @property
    def error_type(self) -> str:
        """Low-cardinality name for metrics (``credentials``, ``scope``, ``dns``, ``unreachable``,
        ``http_429``, ``http_503``, ``network``…)."""
        if self.kind:
            return self.kind
        return f"http_{self.status}" if self.status else "network"


def network_kind(error: httpx.HTTPError) -> str | None:
    """``dns`` when the host name did not resolve, ``unreachable`` when nothing answered on it."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, socket.gaierror) or any(m in str(seen).lower() for m in _DNS_MESSAGES):
            return DNS
        seen = seen.__cause__ or seen.__context__
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return UNREACHABLE
    return None


def _network_error(what: str, error: httpx.HTTPError, domain: str) -> Auth0Error:
    kind = network_kind(error)
    if kind == DNS:
        return Auth0Error(
            f"{what} failed: the domain {domain} does not resolve ({error})", retryable=True, kind=kind
        )
    if kind == UNREACHABLE:
        return Auth0Error(f"{what} failed: {domain} does not answer ({error!r})", retryable=True, kind=kind)
    return Auth0Error(f"{what} failed: {error!r}", retryable=True)


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """A decoded Management API response."""

    body: Any
    headers: httpx.Headers
    rate_limit: RateLimit
    url: str

    def next_link(self) -> str | None:
        """The ``Link: <…>; rel="next"`` URL, if any."""
        links = httpx.Response(200, headers=self.headers).links
        return links.get("next", {}).get("url")


def _describe(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        parts = [
            str(body.get(key))
            for key in ("error", "errorCode", "message", "error_description")
            if body.get(key)
        ]
        return ": ".join(parts) or str(body)[:200]
    return str(body)[:200]


def client_credentials_request(config: Auth0Config) -> dict[str, str | None]:
    """The body of a client-credentials token request for the tenant's Management API."""
    return {
        "grant_type": "client_credentials",
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "audience": f"https://{config.domain}/api/v2/",
    }


def token_from_response(response: httpx.Response) -> tuple[str, float]:
    """``(access_token, expires_in)`` of a token response; :class:`Auth0Error` when it is not a 200."""
    if response.status_code != 200:
        refused = response.status_code in (401, 403)
        hint = " (check auth0.client_id and auth0.client_secret)" if refused else ""
        raise Auth0Error(
            f"token request answered {response.status_code}: {_describe(response)}{hint}",
            status=response.status_code,
            retryable=response.status_code == 429 or response.status_code >= 500,
            retry_after=retry_after_seconds(response.headers),
            kind=CREDENTIALS if refused else None,
        )
    body = response.json()
    return str(body["access_token"]), float(body.get("expires_in", 86400))


def token_lifetime(expires_in: float) -> float:
    """How long to use a token: until :data:`TOKEN_REFRESH_MARGIN` before expiry, half its life at most."""
    return max(expires_in - TOKEN_REFRESH_MARGIN, expires_in / 2)


class ManagementClient:
    """Async client for ``https://<domain>/api/v2/``."""

    def __init__(
        self,
        config: Auth0Config,
        transport: httpx.AsyncBaseTransport | None = None,
        on_rate_limit: Callable[[RateLimit], None] | None = None,
    ) -> None:
        if not config.client_id or not config.client_secret:
            raise ValueError("auth0.client_id and auth0.client_secret are required for the Management API")
        self._config = config
        self._client = async_client(config.ca_file, config.timeout, transport=transport)
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()
        self._on_rate_limit = on_rate_limit
        self.token_requests = 0

    @property
    def base_url(self) -> str:
        """``https://<domain>``."""
        return self._config.base_url

    async def token(self) -> str:
        """A valid access token, fetched with client credentials and cached until near expiry."""
        async with self._token_lock:
            if self._token and time.monotonic() < self._token_expires:
                return self._token
            try:
                response = await self._client.post(
                    f"{self.base_url}/oauth/token", json=client_credentials_request(self._config)
                )
            except httpx.HTTPError as exc:
                raise _network_error("token request", exc, self._config.domain) from exc
            self.token_requests += 1
            self._token, expires_in = token_from_response(response)
            self._token_expires = time.monotonic() + token_lifetime(expires_in)
            return self._token

    async def get(self, path_or_url: str, params: Mapping[str, str | int] | None = None) -> ApiResponse:
        """GET a Management API path (``/api/v2/logs``) or an absolute URL from a ``Link`` header."""
        return await self.request("GET", path_or_url, params=params)

    async def post(self, path: str, body: Mapping[str, Any]) -> ApiResponse:
        """POST a JSON body to a Management API path (e.g. ``/api/v2/jobs/verification-email``)."""
        return await self.request("POST", path, body=body)

    async def request(
        self,
        method: str,
        path_or_url: str,
        params: Mapping[str, str | int] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> ApiResponse:
        """Send one Management API request with the cached token (refreshed once on 401)."""
        url = path_or_url if "://" in path_or_url else f"{self.base_url}{path_or_url}"
        if httpx.URL(url).join("/") != httpx.URL(self.base_url).join("/"):
            # A Link header (or any URL) elsewhere never gets the tenant's token.
            raise Auth0Error(
                f"refusing {method} to {httpx.URL(url).host}: not {self.base_url}", retryable=False
            )
        for attempt in range(2):
            token = await self.token()
            try:
                response = await self._client.request(
                    method, url, params=params, json=body, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.HTTPError as exc:
                raise _network_error(f"{method} {url}", exc, self._config.domain) from exc
            rate_limit = RateLimit.from_headers(response.headers)
            if self._on_rate_limit is not None and rate_limit.limit is not None:
                self._on_rate_limit(rate_limit)
            if response.status_code == 401 and attempt == 0:
                self._token = None  # revoked or expired early: fetch a new one once
                continue
            if response.status_code >= 400:
                retryable = response.status_code in (408, 429) or response.status_code >= 500
                described = _describe(response)
                scope = response.status_code == 403 and "insufficient_scope" in response.text
                raise Auth0Error(
                    f"{method} {url} answered {response.status_code}: {described}"
                    + (" (grant the application this scope on the Management API)" if scope else ""),
                    status=response.status_code,
                    retryable=retryable,
                    retry_after=retry_after_seconds(response.headers) if retryable else None,
                    kind=SCOPE if scope else None,
                )
            try:
                body = response.json()
            except ValueError as exc:
                raise Auth0Error(
                    f"{method} {url} returned non-JSON", status=response.status_code, retryable=True
                ) from exc
            return ApiResponse(body, response.headers, rate_limit, str(response.url))
        raise Auth0Error(
            f"{method} {url}: token rejected twice", status=401, retryable=False, kind=CREDENTIALS
        )

    async def aclose(self) -> None:
        """Close connections."""
        await self._client.aclose()
