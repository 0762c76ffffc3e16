"""The probe library against the simulator's ASGI app (in process, no sockets)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from otel_auth0.auth0.probe import LoginProbe, ProbeSettings
from otel_auth0_sim.app import create_app
from otel_auth0_sim.auth_state import (
    DATABASE_CONNECTION,
    PROBE_CLIENT_ID,
    PROBE_CLIENT_SECRET,
    TEST_USERS,
)
from otel_auth0_sim.middleware import ControlAccess
from otel_auth0_sim.state import TenantState

BASE = "http://sim.test"
USER, MFA_USER = TEST_USERS


class Sim:
    """An in-process simulator reachable through an ASGI transport."""

    def __init__(self) -> None:
        self.state = TenantState("sim.test")
        self.transport = httpx.ASGITransport(app=create_app(self.state, controls=ControlAccess(enabled=True)))
        self.sleeps: list[float] = []

    def probe(self, **overrides: Any) -> LoginProbe:
        values: dict[str, Any] = {
            "base_url": BASE,
            "client_id": PROBE_CLIENT_ID,
            "client_secret": PROBE_CLIENT_SECRET,
            "username": USER.username,
            "password": USER.password,
            **overrides,
        }

        async def fake_sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        return LoginProbe(ProbeSettings(**values), transport=self.transport, sleep=fake_sleep)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        async def go() -> Any:
            async with httpx.AsyncClient(transport=self.transport, base_url=BASE) as client:
                response = await client.request(method, path, json=body)
                return response.json()

        return asyncio.run(go())


@pytest.fixture
def sim() -> Sim:
    return Sim()


def test_successful_login_runs_every_step_and_logs_sepft(sim: Sim) -> None:
    result = asyncio.run(sim.probe(userinfo=True).run())
    assert result.ok, result.message
    assert [step.name for step in result.steps] == ["discovery", "token", "id_token", "userinfo"]
    assert all(step.ok and step.end_ns >= step.start_ns for step in result.steps)
    assert result.subject == USER.user_id
    assert [event["type"] for event in sim.state.events] == ["sepft"]
    assert sim.state.events[0]["user_name"] == USER.username
    assert sim.state.events[0]["user_agent"].startswith("otel-auth0-probe/")


def test_password_realm_grant(sim: Sim) -> None:
    assert asyncio.run(sim.probe(realm=DATABASE_CONNECTION).run()).ok
    failed = asyncio.run(sim.probe(realm="no-such-connection").run())
    assert failed.error_type == "http_400"


def test_wrong_password_is_invalid_grant_and_a_credential_failure(sim: Sim) -> None:
    result = asyncio.run(sim.probe(password="wrong").run())
    assert result.error_type == "invalid_grant"
    assert result.credential_failure
    assert result.steps[-1].status_code == 403
    assert [event["type"] for event in sim.state.events] == ["fp"]


def test_brute_force_block_after_ten_failures(sim: Sim) -> None:
    probe = sim.probe(password="wrong")
    results = [asyncio.run(probe.run()) for _ in range(11)]
    assert {r.error_type for r in results[:10]} == {"invalid_grant"}
    assert results[10].error_type == "too_many_attempts"
    assert results[10].credential_failure


def test_mfa_required_and_unauthorized_client(sim: Sim) -> None:
    mfa = asyncio.run(sim.probe(username=MFA_USER.username, password=MFA_USER.password).run())
    assert mfa.error_type == "mfa_required"
    assert not mfa.credential_failure
    sim.call("POST", "/_sim/auth", {"password_grant": False})
    denied = asyncio.run(sim.probe().run())
    assert denied.error_type == "unauthorized_client"


def test_jwks_rotation_refetches_on_unknown_kid(sim: Sim) -> None:
    probe = sim.probe()
    assert asyncio.run(probe.run()).ok
    assert asyncio.run(probe.run()).ok
    assert probe.jwks.fetches == 1  # cached between runs
    sim.call("POST", "/_sim/jwks/rotate", {"keep_previous": False})
    assert asyncio.run(probe.run()).ok
    assert probe.jwks.fetches == 2


def test_rate_limit_is_waited_out_and_retried(sim: Sim) -> None:
    sim.call(
        "POST", "/_sim/faults", {"path_prefix": "/oauth/token", "status": 429, "count": 1, "reset_after": 2}
    )
    result = asyncio.run(sim.probe().run())
    assert result.ok, result.message
    assert len(sim.sleeps) == 1 and 0 < sim.sleeps[0] <= 3


def test_rate_limit_longer_than_the_maximum_fails_with_retry_after(sim: Sim) -> None:
    sim.call(
        "POST", "/_sim/faults", {"path_prefix": "/oauth/token", "status": 429, "count": 1, "reset_after": 120}
    )
    result = asyncio.run(sim.probe().run())
    assert result.error_type == "too_many_requests"
    assert result.retry_after is not None and result.retry_after > 60
    assert sim.sleeps == []


def test_server_error_is_http_5xx(sim: Sim) -> None:
    sim.call(
        "POST",
        "/_sim/faults",
        {"path_prefix": "/.well-known/openid-configuration", "status": 503, "count": 1},
    )
    assert asyncio.run(sim.probe().run()).error_type == "http_5xx"


def _token_server(claims: dict[str, Any], key: rsa.RSAPrivateKey, kid: str = "k1") -> httpx.MockTransport:
    """A minimal OIDC server answering with an ID token made of ``claims``."""
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": f"{BASE}/",
                    "jwks_uri": f"{BASE}/jwks",
                    "token_endpoint": f"{BASE}/token",
                },
            )
        if request.url.path == "/jwks":
            return httpx.Response(200, json={"keys": [{**jwk, "kid": kid, "use": "sig", "alg": "RS256"}]})
        token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
        return httpx.Response(200, json={"access_token": "a", "id_token": token, "token_type": "Bearer"})

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"aud": "someone-else"}, "Audience"),
        ({"iss": BASE}, "Issuer"),  # no trailing slash
        ({"exp": int(time.time()) - 3600}, "Expired"),
        ({"iat": "not-a-number"}, "Issued"),
    ],
)
def test_id_token_claims_are_checked(change: dict[str, Any], fragment: str) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"iss": f"{BASE}/", "aud": PROBE_CLIENT_ID, "sub": "u", "iat": now, "exp": now + 600, **change}
    probe = LoginProbe(
        ProbeSettings(BASE, PROBE_CLIENT_ID, "u", "p", leeway=10), transport=_token_server(claims, key)
    )
    result = asyncio.run(probe.run())
    assert result.error_type == "id_token"
    assert fragment.lower() in (result.message or "").lower()


def test_token_signed_by_a_key_missing_from_the_jwks_is_a_jwks_error() -> None:
    signer = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"iss": f"{BASE}/", "aud": PROBE_CLIENT_ID, "sub": "u", "iat": now, "exp": now + 600}
    transport = _token_server(claims, signer)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(other.public_key(), as_dict=True)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/jwks":
            return httpx.Response(200, content=json.dumps({"keys": [{**jwk, "kid": "other", "use": "sig"}]}))
        return transport.handle_request(request)

    probe = LoginProbe(ProbeSettings(BASE, PROBE_CLIENT_ID, "u", "p"), transport=httpx.MockTransport(handler))
    assert asyncio.run(probe.run()).error_type == "jwks"
    assert probe.jwks.fetches == 1
    assert asyncio.run(probe.run()).error_type == "jwks"
    assert probe.jwks.fetches == 2  # a warm cache is refetched once for an unknown kid


def test_userinfo_is_paced_under_five_per_minute(sim: Sim) -> None:
    probe = sim.probe(userinfo=True)
    runs = [asyncio.run(probe.run()) for _ in range(3)]
    assert all(r.ok for r in runs)
    assert ["userinfo" in [s.name for s in r.steps] for r in runs] == [True, False, False]


def test_fingerprint_changes_with_credentials() -> None:
    a, key = ProbeSettings(BASE, "c", "u", "p"), b"k" * 32
    assert a.fingerprint(key) == ProbeSettings(BASE, "c", "u", "p", scope="openid").fingerprint(key)
    assert a.fingerprint(key) != ProbeSettings(BASE, "c", "u", "p2").fingerprint(key)
    assert a.fingerprint(key) != ProbeSettings(BASE, "c2", "u", "p").fingerprint(key)
    assert a.fingerprint(key) != a.fingerprint(b"j" * 32)
