"""In-memory state of one simulated tenant: clients, tokens, the event store, faults and counters."""

from __future__ import annotations

import asyncio
import bisect
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from otel_auth0_sim import access_tokens
from otel_auth0_sim.log_ids import LogIdGenerator
from otel_auth0_sim.rate_limit import TokenBucket

Event = dict[str, Any]

DEFAULT_CLIENT_ID = "otel-auth0-sim-client"
DEFAULT_CLIENT_SECRET = "otel-auth0-sim-secret"
PROFILES = ("good", "misconfigured", "large", "essentials")
M2M_SCOPES = (
    "read:logs",
    "read:logs_users",
    "read:clients",
    "read:client_grants",
    "read:connections",
    "read:resource_servers",
    "read:tenant_settings",
    "read:email_provider",
    "read:email_templates",
    "read:attack_protection",
    "read:log_streams",
    "read:event_streams",
    "update:event_streams",
    "read:network_acls",
    "read:custom_domains",
    "read:guardian_factors",
    "read:mfa_policies",
    "read:prompts",
    "read:branding",
    "read:actions",
    "read:rules",
    "read:hooks",
    "read:roles",
    "read:users",
    "read:organizations",
    "read:organization_connections",
    "read:organization_client_grants",
    "read:organization_discovery_domains",
    "read:forms",
    "read:flows",
    "read:flows_vault_connections",
    "read:rules_configs",
    "read:self_service_profiles",
    "read:phone_providers",
    "read:phone_templates",
    "read:user_attribute_profiles",
    "read:connection_profiles",
    "read:token_exchange_profiles",
    "read:rate_limit_policies",
    "read:directory_provisionings",
    "read:client_credentials",
    "read:scim_config",
    "read:connections_options",
    "read:shields",
    "update:users",
)
LOGS_ONLY_CLIENT_ID = "otel-auth0-sim-logs-only"
LOGS_ONLY_CLIENT_SECRET = "otel-auth0-sim-logs-only-secret"


@dataclass(frozen=True)
class M2MClient:
    """A machine-to-machine application allowed to use the client-credentials grant."""

    client_id: str
    client_secret: str
    name: str = "otel-auth0 collector"
    scopes: tuple[str, ...] = M2M_SCOPES


@dataclass(frozen=True)
class IssuedToken:
    """An access token handed out by the token endpoint."""

    client_id: str
    audience: str
    scopes: tuple[str, ...]
    expires_at: float


@dataclass
class Fault:
    """An injected failure for ``count`` requests whose path starts with ``path_prefix``, once ``after``
    such requests went through.

    ``status`` is an HTTP status to answer with, or 0 to drop the connection mid-response.
    """

    path_prefix: str
    status: int
    count: int
    reset_after: int = 1
    after: int = 0


@dataclass
class Slowdown:
    """The next ``count`` requests whose path starts with ``path_prefix`` are answered ``seconds`` late
    (the ``login_slow`` scenario)."""

    path_prefix: str
    seconds: float
    count: int


@dataclass
class StreamStatus:
    """The Log Stream pusher's position and health, shared with the control endpoints."""

    configured: bool = False
    paused: bool = False
    suspended: bool = False
    cursor: str | None = None
    posts: int = 0
    delivered: int = 0
    failures: int = 0
    last_error: str | None = None


@dataclass
class Counters:
    """Request counters the tests read through ``GET /_sim/stats``."""

    requests: Counter[tuple[str, int]] = field(default_factory=Counter)
    rate_limited: int = 0
    token_requests: int = 0
    generated: int = 0
    faults_injected: int = 0

    def as_json(self) -> dict[str, Any]:
        """Counters as a JSON-friendly dict: requests nested by path, then status."""
        by_path: dict[str, dict[str, int]] = {}
        for (path, status), count in sorted(self.requests.items()):
            by_path.setdefault(path, {})[str(status)] = count
        return {
            "requests": by_path,
            "rate_limited": self.rate_limited,
            "token_requests": self.token_requests,
            "generated": self.generated,
            "faults_injected": self.faults_injected,
        }


class TenantState:
    """Everything one simulated tenant knows; all access happens on the server's event loop."""

    def __init__(
        self,
        domain: str,
        *,
        clients: list[M2MClient] | None = None,
        mgmt_rate_limit: int = 16,
        seed: int | None = None,
        profile: str = "good",
        scheme: str = "https",
        tenant_name: str = "otel-auth0-sim",
        environment_name: str = "prod-us-1",
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
        self.domain = domain
        self.scheme = scheme
        self.tenant_name = tenant_name
        self.environment_name = environment_name
        self.profile = profile
        logs_only = M2MClient(LOGS_ONLY_CLIENT_ID, LOGS_ONLY_CLIENT_SECRET, "logs reader", ("read:logs",))
        self.clients = {
            c.client_id: c
            for c in [*(clients or [M2MClient(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)]), logs_only]
        }
        self.tokens: dict[str, IssuedToken] = {}
        self.bucket = TokenBucket(mgmt_rate_limit, mgmt_rate_limit)
        self.log_ids = LogIdGenerator(random.Random(seed))
        self.events: list[Event] = []
        self._ids: list[str] = []
        self._by_id: dict[str, Event] = {}
        self.faults: list[Fault] = []
        self.slowdowns: list[Slowdown] = []
        self.stream = StreamStatus()
        self.counters = Counters()
        self.changed = asyncio.Event()
        # Items received by the stand-in OTLP backend (``otlp_sink``), by signal.
        self.otlp_received: dict[str, int] = {}

    @property
    def hostname(self) -> str:
        """The tenant host without port, as log events carry it."""
        return urlsplit(f"//{self.domain}").hostname or self.domain

    @property
    def management_audience(self) -> str:
        """The Management API identifier: always https, as on Auth0."""
        return f"https://{self.domain}/api/v2/"

    def issue_token(self, client: M2MClient, audience: str, lifetime: int) -> str:
        """Mint a bearer token (a JWT, as Auth0's) for ``client`` and remember it."""
        token = access_tokens.mint(self.domain, client.client_id, audience, client.scopes, lifetime)
        self.tokens[token] = IssuedToken(client.client_id, audience, client.scopes, time.time() + lifetime)
        return token

    def token_valid(self, token: str, audience: str) -> bool:
        """Whether ``token`` was issued for ``audience`` and has not expired."""
        issued = self.tokens.get(token)
        return issued is not None and issued.audience == audience and issued.expires_at > time.time()

    def token_scopes(self, token: str) -> tuple[str, ...]:
        """The scopes granted to ``token``."""
        issued = self.tokens.get(token)
        return issued.scopes if issued is not None else ()

    def add_event(self, event: Event) -> Event:
        """Store ``event``, assigning a fresh log id unless it brings an unused one; wakes the pusher."""
        log_id = event.get("log_id")
        if not isinstance(log_id, str) or log_id in self._by_id:
            log_id = self.log_ids.next_id()
        stored = {**event, "log_id": log_id}
        stored.setdefault("date", datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"))
        index = bisect.bisect(self._ids, log_id)
        self._ids.insert(index, log_id)
        self.events.insert(index, stored)
        self._by_id[log_id] = stored
        self.changed.set()
        return stored

    def get_event(self, log_id: str) -> Event | None:
        """The event with ``log_id``, if retained."""
        return self._by_id.get(log_id)

    def events_after(self, log_id: str | None, limit: int) -> list[Event]:
        """Up to ``limit`` events whose log id sorts after ``log_id`` (from the oldest when None)."""
        start = 0 if log_id is None else bisect.bisect_right(self._ids, log_id)
        return self.events[start : start + limit]

    def take_slowdown(self, path: str) -> float:
        """Consume one use of the first slowdown matching ``path``; its delay in seconds (0 if none)."""
        for slowdown in self.slowdowns:
            if path.startswith(slowdown.path_prefix) and slowdown.count > 0:
                slowdown.count -= 1
                if slowdown.count == 0:
                    self.slowdowns.remove(slowdown)
                return slowdown.seconds
        return 0.0

    def take_fault(self, path: str) -> Fault | None:
        """Consume one use of the first fault matching ``path``."""
        for fault in self.faults:
            if path.startswith(fault.path_prefix) and fault.after > 0:
                fault.after -= 1
                return None
            if path.startswith(fault.path_prefix) and fault.count > 0:
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                self.counters.faults_injected += 1
                return fault
        return None
