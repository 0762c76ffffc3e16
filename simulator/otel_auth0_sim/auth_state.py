"""What the simulated Authentication API knows: the probe client, test users, signing keys (rotatable),
brute-force counters, issued access tokens and per-user request counters."""

from __future__ import annotations

import secrets
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

PROBE_CLIENT_ID = "otel-auth0-sim-probe"
PROBE_CLIENT_SECRET = "otel-auth0-sim-probe-secret"
DATABASE_CONNECTION = "Username-Password-Authentication"
BRUTE_FORCE_THRESHOLD = 10
USERINFO_PER_MINUTE = 5
ID_TOKEN_LIFETIME = 36000
ACCESS_TOKEN_LIFETIME = 86400


@dataclass(frozen=True)
class TestUser:
    """A database user the probe may log in as; ``mfa`` users always get ``mfa_required``."""

    username: str
    password: str
    user_id: str
    mfa: bool = False

    def public(self) -> dict[str, Any]:
        """For the start-up line and ``GET /_sim/auth``."""
        return {
            "username": self.username,
            "password": self.password,
            "user_id": self.user_id,
            "mfa": self.mfa,
        }


TEST_USERS = (
    TestUser("probe@example.com", "probe-password", "auth0|probe0000000000000001"),
    TestUser("mfa-probe@example.com", "mfa-probe-password", "auth0|probe0000000000000002", mfa=True),
)


@dataclass
class ProbeClient:
    """A first-party application; ``password_grant`` can be switched off through ``/_sim/auth``."""

    client_id: str
    client_secret: str
    name: str = "otel-auth0 login probe"
    password_grant: bool = True


def startup_info() -> dict[str, Any]:
    """The probe client and test users, for the simulator's start-up JSON line."""
    return {
        "probe_client": {"client_id": PROBE_CLIENT_ID, "client_secret": PROBE_CLIENT_SECRET},
        "realm": DATABASE_CONNECTION,
        "test_users": [user.public() for user in TEST_USERS],
    }


class SigningKeys:
    """RS256 keys; the newest signs, older ones stay in the JWKS until dropped."""

    def __init__(self) -> None:
        self._keys: list[tuple[str, rsa.RSAPrivateKey]] = []
        self.rotate(keep_previous=False)

    def rotate(self, keep_previous: bool = True) -> str:
        """Add a new signing key (and drop the old ones unless ``keep_previous``); returns its kid."""
        kid = secrets.token_urlsafe(12)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._keys = [*(self._keys if keep_previous else []), (kid, key)]
        return kid

    @property
    def kids(self) -> list[str]:
        """Key ids in the JWKS, oldest first."""
        return [kid for kid, _ in self._keys]

    def sign(self, claims: dict[str, Any]) -> str:
        """An RS256 JWT signed with the current key."""
        kid, key = self._keys[-1]
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})

    def jwks(self) -> dict[str, Any]:
        """The public JSON Web Key Set."""
        keys = []
        for kid, key in self._keys:
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}


@dataclass
class AccessGrant:
    """An access token issued by a password grant."""

    user: TestUser
    client_id: str
    expires_at: float


@dataclass
class AuthState:
    """Authentication API state of one simulated tenant."""

    clients: dict[str, ProbeClient] = field(
        default_factory=lambda: {PROBE_CLIENT_ID: ProbeClient(PROBE_CLIENT_ID, PROBE_CLIENT_SECRET)}
    )
    users: dict[str, TestUser] = field(default_factory=lambda: {u.username.lower(): u for u in TEST_USERS})
    keys: SigningKeys = field(default_factory=SigningKeys)
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)
    token_requests_by_user: Counter[str] = field(default_factory=Counter)
    grants: dict[str, AccessGrant] = field(default_factory=dict)
    userinfo_calls: dict[str, deque[float]] = field(default_factory=dict)
    jwks_requests: int = 0
    discovery_requests: int = 0
    userinfo_requests: int = 0

    def issue_access_token(self, user: TestUser, client_id: str) -> str:
        """An opaque access token for ``/userinfo``."""
        token = secrets.token_urlsafe(32)
        self.grants[token] = AccessGrant(user, client_id, time.time() + ACCESS_TOKEN_LIFETIME)
        return token

    def userinfo_allowed(self, user_id: str, now: float) -> tuple[bool, int]:
        """Sliding one-minute window of 5 calls per user; returns (allowed, reset epoch seconds)."""
        calls = self.userinfo_calls.setdefault(user_id, deque())
        while calls and now - calls[0] >= 60:
            calls.popleft()
        if len(calls) >= USERINFO_PER_MINUTE:
            return False, int(calls[0] + 60) + 1
        calls.append(now)
        return True, int(now + 60)

    def as_json(self) -> dict[str, Any]:
        """For ``GET /_sim/auth``."""
        return {
            "clients": {c.client_id: {"password_grant": c.password_grant} for c in self.clients.values()},
            "users": [u.public() for u in self.users.values()],
            "kids": self.keys.kids,
            "token_requests_by_user": dict(self.token_requests_by_user),
            "failures": {f"{user}|{ip}": n for (user, ip), n in self.failures.items()},
            "jwks_requests": self.jwks_requests,
            "discovery_requests": self.discovery_requests,
            "userinfo_requests": self.userinfo_requests,
        }
