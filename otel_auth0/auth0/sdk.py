"""Auth0's own Management API SDK (``auth0-python``) wired to this project's TLS, token and rate limits.

The SDK's generated client (:class:`auth0.management.Auth0`, the one its ``ManagementClient`` wraps) is
built here with an explicit base URL, because ``ManagementClient`` hard-codes ``https://<domain>`` and
fetches its token with an ``httpx.Client`` that cannot be given ``auth0.ca_file``. Requests go through
:class:`RateLimitTransport`, which keeps the collector's rate-limit behaviour whichever code calls
the SDK: a 429 waits for ``Retry-After`` / ``x-ratelimit-reset`` (a 5xx to a read: exponential
backoff) and is retried, until :data:`MAX_ATTEMPTS` or the session's deadline; each retry is counted
and every response's ``x-ratelimit-*`` headers are kept. The SDK's own retries are switched off
(``max_retries=0``) so waits are not doubled. SDK and transport errors leave this module as
:class:`Auth0Error`.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from auth0.management import Auth0
from auth0.management.core.api_error import ApiError
from auth0.management.core.pagination import SyncPager
from auth0.management.core.parse_error import ParsingError
from pydantic import BaseModel, ValidationError

from otel_auth0.auth0.http import USER_AGENT, ssl_context
from otel_auth0.auth0.management import (
    Auth0Error,
    client_credentials_request,
    token_from_response,
    token_lifetime,
)
from otel_auth0.auth0.ratelimit import RateLimit, retry_after_seconds
from otel_auth0.config import Auth0Config

T = TypeVar("T")
MAX_ATTEMPTS = 6
MAX_WAIT = 60.0
PAGE_SIZE = 100


@dataclass
class TransportStats:
    """What the transport saw: every response's rate-limit headers, retries and their waits."""

    rate_limits: list[RateLimit] = field(default_factory=list)
    retries: int = 0
    waited: float = 0.0
    gave_up: str | None = None


class RateLimitTransport(httpx.BaseTransport):
    """Retries 429 / 408 / 5xx answers after the announced wait, within attempts and a deadline."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        stats: TransportStats,
        deadline: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._inner = inner
        self.stats = stats
        self.deadline = deadline
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``; wait and resend while the answer is retryable and time is left."""
        delay = 0.5
        for attempt in range(MAX_ATTEMPTS):
            response = self._inner.handle_request(request)
            rate_limit = RateLimit.from_headers(response.headers)
            if rate_limit.limit is not None:
                self.stats.rate_limits.append(rate_limit)
            status = response.status_code
            if status not in (408, 429) and (status < 500 or request.method != "GET"):
                return response  # a 5xx on a write may have done it: never sent twice
            announced = retry_after_seconds(response.headers) if status in (408, 429) else None
            wait = min(MAX_WAIT, (announced if announced is not None else delay) + random.uniform(0, 0.25))
            delay = min(MAX_WAIT, delay * 2)
            if attempt == MAX_ATTEMPTS - 1:
                self.stats.gave_up = f"{request.url.path} answered {status} {MAX_ATTEMPTS} times"
                return response
            if self.deadline is not None and time.monotonic() + wait > self.deadline:
                self.stats.gave_up = (
                    f"{request.url.path} answered {status}; a {wait:.1f}s wait passes the deadline"
                )
                return response
            response.read()
            response.close()
            self.stats.retries += 1
            self.stats.waited += wait
            self._sleep(wait)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()


class ClientCredentialsToken:
    """A Management API access token from ``/oauth/token``, cached until shortly before it expires."""

    def __init__(self, config: Auth0Config, http: httpx.Client) -> None:
        self._config = config
        self._http = http
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()
        self.requests = 0

    def __call__(self) -> str:
        """The cached token, or a new one."""
        with self._lock:
            if self._token is None or time.monotonic() >= self._expires:
                self._token, lifetime = self._fetch()
                self._expires = time.monotonic() + token_lifetime(lifetime)
            return self._token

    def _fetch(self) -> tuple[str, float]:
        try:
            response = self._http.post(
                f"{self._config.base_url}/oauth/token", json=client_credentials_request(self._config)
            )
        except httpx.HTTPError as error:
            raise Auth0Error(f"token request failed: {error!r}", retryable=True) from error
        self.requests += 1
        return token_from_response(response)


class SdkSession:
    """The SDK client of one tenant plus what its transport recorded; use as a context manager."""

    def __init__(
        self,
        config: Auth0Config,
        deadline: float | None = None,
        inner: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not config.client_id or not config.client_secret:
            raise ValueError("auth0.client_id and auth0.client_secret are required for the Management API")
        self.stats = TransportStats()
        self.transport = RateLimitTransport(
            inner or httpx.HTTPTransport(verify=ssl_context(config.ca_file)), self.stats, deadline, sleep
        )
        self.http = httpx.Client(
            transport=self.transport, timeout=config.timeout, headers={"User-Agent": USER_AGENT}
        )
        self.token = ClientCredentialsToken(config, self.http)
        self.api = Auth0(
            base_url=f"{config.base_url}/api/v2", token=self.token, httpx_client=self.http, max_retries=0
        )

    def close(self) -> None:
        """Close connections."""
        self.http.close()

    def __enter__(self) -> SdkSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _message(error: ApiError) -> str:
    body = error.body
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("error", "errorCode", "message") if body.get(k)]
        if parts:
            return ": ".join(parts)
    return str(body)[:200]


def to_auth0_error(error: ApiError) -> Auth0Error:
    """The SDK's error as this project's :class:`Auth0Error` (status, retryable, announced wait)."""
    status = error.status_code
    retryable = status is not None and (status in (408, 429) or status >= 500)
    headers = httpx.Headers(error.headers or {})
    return Auth0Error(
        f"Management API answered {status}: {_message(error)}",
        status=status,
        retryable=retryable,
        retry_after=retry_after_seconds(headers) if retryable else None,
    )


def call(work: Callable[[], T]) -> T:
    """Run one SDK call (or a walk over a pager), turning SDK and transport errors into Auth0Error."""
    try:
        return work()
    except ApiError as error:
        raise to_auth0_error(error) from None
    except httpx.HTTPError as error:
        raise Auth0Error(f"Management API request failed: {error!r}", retryable=True) from None
    except (ParsingError, ValidationError) as error:
        raise Auth0Error(f"answer does not match Auth0's schema: {error}", retryable=False) from None


def as_dict(model: BaseModel) -> dict[str, Any]:
    """A response model as the JSON Auth0 sent (Auth0's field names, only the fields it sent)."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def dicts(models: Iterable[BaseModel] | None) -> list[dict[str, Any]]:
    """:func:`as_dict` of every model."""
    return [as_dict(model) for model in models or []]


def every_item(pager: SyncPager[T, Any], page_size: int = PAGE_SIZE) -> list[T]:
    """Every item of an SDK pager, page by page to the end (a page shorter than ``page_size`` is the
    last one, which saves the SDK's extra request for an empty page)."""
    items: list[T] = []
    for page in pager.iter_pages():
        items.extend(page.items or [])
        if len(page.items or []) < page_size:
            break
    return items
