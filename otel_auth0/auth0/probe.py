"""Synthetic login probe: OIDC discovery → password (or password-realm) grant → ID-token validation
against the JWKS → optional ``/userinfo``, with per-phase timings and a classified ``error.type``.

Works against any OIDC server that speaks the Resource Owner Password grant, not only Auth0. Requests
carry an identifiable User-Agent (``otel-auth0-probe/<version> (synthetic-test; …)``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from otel_auth0 import __version__
from otel_auth0.auth0.http import async_client
from otel_auth0.auth0.jwks import JwksCache, JwksError
from otel_auth0.auth0.probe_errors import CREDENTIAL_FAILURES, classify_exception, classify_response
from otel_auth0.auth0.ratelimit import retry_after_seconds
from otel_auth0.auth0.timings import PhaseRecorder, resolve_seconds

PROBE_USER_AGENT = (
    f"otel-auth0-probe/{__version__} (synthetic-test; +https://github.com/otel-auth0/otel-auth0)"
)
PASSWORD_REALM_GRANT = "http://auth0.com/oauth/grant-type/password-realm"
USERINFO_MIN_INTERVAL = 12.0  # Auth0 allows 5 /userinfo calls per minute per user
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
STEPS = ("discovery", "token", "id_token", "userinfo")


@dataclass(frozen=True)
class ProbeSettings:
    """What one probe needs; ``base_url`` is ``https://tenant.us.auth0.com``."""

    base_url: str
    client_id: str
    username: str
    password: str
    client_secret: str | None = None
    realm: str | None = None
    audience: str | None = None
    scope: str = "openid profile email"
    userinfo: bool = False
    ca_file: Path | None = None
    timeout: float = 30.0
    leeway: float = 60.0
    max_rate_limit_wait: float = 30.0

    def fingerprint(self, key: bytes) -> str:
        """HMAC-SHA-256 under ``key`` (secret, per ``state_dir``) of the identity the probe logs in with:
        a change lifts a credential-failure block. Keyed, so a copy of the stored fingerprint alone does
        not allow guessing the password offline."""
        return hmac.new(key, self._identity(), hashlib.sha256).hexdigest()

    def legacy_fingerprint(self) -> str:
        """The unkeyed SHA-256 earlier versions stored; only to migrate a stored count."""
        return hashlib.sha256(self._identity()).hexdigest()

    def _identity(self) -> bytes:
        parts = (
            self.base_url,
            self.client_id,
            self.client_secret or "",
            self.username,
            self.password,
            self.realm,
        )
        return "\0".join(p or "" for p in parts).encode()


class _Timed:
    """``ok`` and ``duration`` of a step or a whole run (fields declared by the dataclasses below)."""

    start_ns: int
    end_ns: int
    error_type: str | None

    @property
    def ok(self) -> bool:
        """It succeeded."""
        return self.error_type is None

    @property
    def duration(self) -> float:
        """Seconds."""
        return max(0, self.end_ns - self.start_ns) / 1e9


@dataclass
class StepResult(_Timed):
    """One step of a run."""

    name: str
    start_ns: int
    end_ns: int = 0
    url: str | None = None
    status_code: int | None = None
    error_type: str | None = None
    message: str | None = None
    phases: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """JSON-friendly form for ``otel-auth0 probe --json``."""
        return {
            "step": self.name,
            "ok": self.ok,
            "duration_s": round(self.duration, 6),
            "url": self.url,
            "status_code": self.status_code,
            "error_type": self.error_type,
            "message": self.message,
            "phases_s": {k: round(v, 6) for k, v in self.phases.items()},
        }


@dataclass
class ProbeResult(_Timed):
    """The outcome of one run."""

    start_ns: int
    end_ns: int = 0
    steps: list[StepResult] = field(default_factory=list)
    error_type: str | None = None
    message: str | None = None
    retry_after: float | None = None
    subject: str | None = None

    @property
    def credential_failure(self) -> bool:
        """The credentials were refused (counts towards the brute-force threshold)."""
        return self.error_type in CREDENTIAL_FAILURES

    def as_json(self) -> dict[str, Any]:
        """JSON-friendly form for ``otel-auth0 probe --json``."""
        return {
            "ok": self.ok,
            "error_type": self.error_type,
            "message": self.message,
            "duration_s": round(self.duration, 6),
            "steps": [step.as_json() for step in self.steps],
        }


class StepFailed(Exception):
    """Ends a run: the failing step is already recorded."""


class _Step:
    """Context for one step: records timings and turns transport errors into a classified failure."""

    def __init__(self, result: ProbeResult, name: str, dns_seconds: float) -> None:
        self.record = StepResult(name, time.time_ns())
        self.recorder = PhaseRecorder()
        if dns_seconds:
            self.recorder.add("dns", dns_seconds)
        result.steps.append(self.record)
        self._result = result

    def fail(self, error_type: str, message: str, retry_after: float | None = None) -> StepFailed:
        """Mark the step and the run failed."""
        self.record.error_type = error_type
        self.record.message = message
        self._result.error_type = error_type
        self._result.message = f"{self.record.name}: {message}"
        self._result.retry_after = retry_after
        return StepFailed(message)

    def finish(self) -> None:
        """Close the step's timing."""
        self.record.end_ns = time.time_ns()
        self.record.phases = dict(self.recorder.phases)


Sleep = Callable[[float], Awaitable[None]]


class LoginProbe:
    """Runs probes; keeps the JWKS cache and the ``/userinfo`` pacing between runs."""

    def __init__(
        self,
        settings: ProbeSettings,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.jwks = JwksCache()
        self._transport = transport
        self.sleep = sleep
        self._last_userinfo = -USERINFO_MIN_INTERVAL

    async def run(self) -> ProbeResult:
        """One complete login; never raises for a failed login (see ``ProbeResult.error_type``)."""
        result = ProbeResult(time.time_ns())
        split = urlsplit(self.settings.base_url)
        dns = await resolve_seconds(
            split.hostname or "", split.port or (443 if split.scheme == "https" else 80)
        )
        async with async_client(
            self.settings.ca_file, self.settings.timeout, PROBE_USER_AGENT, self._transport
        ) as client:
            try:
                discovery = await self._discovery(client, result, dns)
                tokens = await self._token(client, result, discovery)
                claims = await self._validate(client, result, discovery, tokens)
                if claims is not None:
                    result.subject = str(claims.get("sub") or "") or None
                if self.settings.userinfo and time.monotonic() - self._last_userinfo >= USERINFO_MIN_INTERVAL:
                    await self._userinfo(client, result, discovery, tokens, claims)
            except StepFailed:
                pass
        result.end_ns = time.time_ns()
        return result

    async def _request(
        self, client: httpx.AsyncClient, step: _Step, method: str, url: str, **kwargs: Any
    ) -> httpx.Response:
        """Send with timings; a rate-limit answer (not a brute-force block) is waited out and retried once."""
        step.record.url = url
        for attempt in range(2):
            try:
                response = await client.request(method, url, extensions={"trace": step.recorder}, **kwargs)
            except httpx.HTTPError as exc:
                raise step.fail(classify_exception(exc), f"{method} {url} failed: {exc!r}") from None
            finally:
                step.finish()
            step.record.status_code = response.status_code
            if response.status_code < 400:
                return response
            error_type, message = classify_response(response.status_code, response.content)
            wait = retry_after_seconds(response.headers) if response.status_code == 429 else None
            if error_type == "too_many_requests" and attempt == 0:
                delay = max(wait if wait is not None else 1.0, 0.0)
                if delay <= self.settings.max_rate_limit_wait:
                    await self.sleep(delay)
                    continue
            raise step.fail(error_type, message, wait)
        raise AssertionError("unreachable")

    async def _discovery(self, client: httpx.AsyncClient, result: ProbeResult, dns: float) -> dict[str, Any]:
        step = _Step(result, "discovery", dns)
        url = f"{self.settings.base_url}/.well-known/openid-configuration"
        response = await self._request(client, step, "GET", url)
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict) or not all(
            isinstance(document.get(k), str) for k in ("issuer", "jwks_uri", "token_endpoint")
        ):
            raise step.fail("discovery", "discovery document lacks issuer, jwks_uri or token_endpoint")
        return document

    async def _token(
        self, client: httpx.AsyncClient, result: ProbeResult, discovery: dict[str, Any]
    ) -> dict[str, Any]:
        step = _Step(result, "token", 0.0)
        settings = self.settings
        form = {
            "grant_type": PASSWORD_REALM_GRANT if settings.realm else "password",
            "client_id": settings.client_id,
            "username": settings.username,
            "password": settings.password,
            "scope": settings.scope,
        }
        for key, value in (
            ("client_secret", settings.client_secret),
            ("audience", settings.audience),
            ("realm", settings.realm),
        ):
            if value:
                form[key] = value
        response = await self._request(client, step, "POST", str(discovery["token_endpoint"]), data=form)
        try:
            tokens = response.json()
        except ValueError:
            tokens = None
        if not isinstance(tokens, dict) or not isinstance(tokens.get("access_token"), str):
            raise step.fail("token_response", "token response has no access_token")
        return tokens

    async def _validate(
        self,
        client: httpx.AsyncClient,
        result: ProbeResult,
        discovery: dict[str, Any],
        tokens: dict[str, Any],
    ) -> dict[str, Any] | None:
        if "openid" not in self.settings.scope.split():
            return None
        step = _Step(result, "id_token", 0.0)
        step.record.url = str(discovery["jwks_uri"])
        try:
            id_token = tokens.get("id_token")
            if not isinstance(id_token, str):
                raise step.fail(
                    "id_token", "the token response has no id_token although openid was requested"
                )
            try:
                header = jwt.get_unverified_header(id_token)
                algorithm = str(header.get("alg"))
                key: Any
                if algorithm in ASYMMETRIC_ALGORITHMS:
                    fetch = self._fetcher(client, step)
                    key = await self.jwks.signing_key(fetch, str(discovery["jwks_uri"]), header.get("kid"))
                elif algorithm == "HS256" and self.settings.client_secret:
                    key = self.settings.client_secret
                else:
                    raise step.fail("id_token", f"unsupported signing algorithm {algorithm!r}")
                claims: dict[str, Any] = jwt.decode(
                    id_token,
                    key=key,
                    algorithms=[algorithm],
                    audience=self.settings.client_id,
                    issuer=str(discovery["issuer"]),
                    leeway=self.settings.leeway,
                    options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                )
            except JwksError as exc:
                raise step.fail("jwks", str(exc)) from None
            except jwt.PyJWTError as exc:
                raise step.fail("id_token", f"{type(exc).__name__}: {exc}") from None
            return claims
        finally:
            step.finish()

    def _fetcher(self, client: httpx.AsyncClient, step: _Step) -> Callable[[str], Awaitable[httpx.Response]]:
        async def fetch(url: str) -> httpx.Response:
            return await client.get(url, extensions={"trace": step.recorder})

        return fetch

    async def _userinfo(
        self,
        client: httpx.AsyncClient,
        result: ProbeResult,
        discovery: dict[str, Any],
        tokens: dict[str, Any],
        claims: dict[str, Any] | None,
    ) -> None:
        step = _Step(result, "userinfo", 0.0)
        url = discovery.get("userinfo_endpoint") or f"{self.settings.base_url}/userinfo"
        self._last_userinfo = time.monotonic()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        response = await self._request(client, step, "GET", str(url), headers=headers)
        try:
            profile = response.json()
        except ValueError:
            profile = None
        if not isinstance(profile, dict) or (claims is not None and profile.get("sub") != claims.get("sub")):
            raise step.fail("userinfo", "userinfo did not return the subject of the ID token")
