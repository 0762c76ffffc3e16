"""JSON Web Key Set cache: keys are fetched once, kept for ``ttl`` seconds, and refetched at once when
a token names a ``kid`` the cache does not know (key rotation)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import httpx
import jwt

DEFAULT_TTL = 600.0

Fetch = Callable[[str], Awaitable[httpx.Response]]


class JwksError(Exception):
    """The key set could not be fetched or has no usable key for the token."""


class JwksCache:
    """Signing keys by ``kid`` for one ``jwks_uri``; the fetch goes through the caller's HTTP client."""

    def __init__(self, ttl: float = DEFAULT_TTL) -> None:
        self._ttl = ttl
        self._uri: str | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self.fetches = 0

    def _fresh(self, uri: str) -> bool:
        return self._uri == uri and time.monotonic() - self._fetched_at < self._ttl

    async def signing_key(self, fetch: Fetch, uri: str, kid: str | None) -> jwt.PyJWK:
        """The key for ``kid`` (the only signing key when the token names none)."""
        refreshed = False
        if not self._fresh(uri):
            await self._refresh(fetch, uri)
            refreshed = True
        key = self._pick(kid)
        if key is None and not refreshed:
            await self._refresh(fetch, uri)
            key = self._pick(kid)
        if key is None:
            raise JwksError(f"no signing key with kid {kid!r} in {uri}")
        return key

    def _pick(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is not None:
            return self._keys.get(kid)
        return next(iter(self._keys.values())) if len(self._keys) == 1 else None

    async def _refresh(self, fetch: Fetch, uri: str) -> None:
        try:
            response = await fetch(uri)
        except httpx.HTTPError as exc:
            raise JwksError(f"fetching {uri} failed: {exc!r}") from exc
        if response.status_code != 200:
            raise JwksError(f"{uri} answered {response.status_code}")
        try:
            key_set = jwt.PyJWKSet.from_dict(response.json())
        except (ValueError, jwt.PyJWKSetError) as exc:
            raise JwksError(f"{uri} is not a usable JSON Web Key Set: {exc}") from exc
        self.fetches += 1
        self._uri = uri
        self._fetched_at = time.monotonic()
        self._keys = {
            key.key_id: key for key in key_set.keys if key.key_id and key.public_key_use in (None, "sig")
        }
        if not self._keys and len(key_set.keys) == 1:
            only = key_set.keys[0]
            self._keys = {only.key_id or "": only}
