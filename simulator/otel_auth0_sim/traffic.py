"""A deterministic (given a seed) generator of realistic Auth0 tenant log events.

Each *scenario* is one user-visible interaction (a login transaction with an optional failed
attempt and the code exchange that follows, a signup, a refresh, a Management API call, a
rate-limit notice, ...) and yields the events Auth0 would log for it, in time order.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import string
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from otel_auth0_sim.state import Event, TenantState

EVENT_SCHEMA_VERSION = "1.0.0"

#: Every ``type`` code the generator can emit (the schema test samples each of them).
EVENT_TYPES = frozenset(
    {
        "s",
        "f",
        "fp",
        "fu",
        "ss",
        "fs",
        "seacft",
        "feacft",
        "sertft",
        "fertft",
        "seccft",
        "ssa",
        "fsa",
        "slo",
        "sapi",
        "mgmt_api_read",
        "api_limit",
        "api_limit_warning",
        "limit_wc",
        "limit_mu",
        "depnote",
    }
)

_ALNUM = string.ascii_letters + string.digits
_URLSAFE = _ALNUM + "-_"


@dataclass(frozen=True)
class App:
    """An application (client) of the tenant."""

    client_id: str
    name: str
    kind: str  # spa | regular_web | native | non_interactive


@dataclass(frozen=True)
class Connection:
    """An identity source users log in through."""

    name: str
    connection_id: str
    strategy: str
    strategy_type: str


@dataclass(frozen=True)
class User:
    """A tenant user bound to one connection."""

    user_id: str
    user_name: str
    connection: Connection
    logins: int


@dataclass(frozen=True)
class Client:
    """Where a request came from: address, user agent, optional geo-location."""

    ip: str
    user_agent: str
    is_mobile: bool
    location: dict[str, Any] | None


_WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)"
_SAFARI = "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1"
_BROWSERS = (
    (f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36", False),
    (f"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) {_SAFARI} Safari/605.1.15", False),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", False),
    (f"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) {_SAFARI} Mobile/15E148 Safari/604.1", True),
    (f"Mozilla/5.0 (Linux; Android 14; Pixel 8) {_WEBKIT} Chrome/131.0.0.0 Mobile Safari/537.36", True),
)
_SERVER_AGENTS = ("node-fetch/1.0", "python-httpx/0.28.1", "Go-http-client/2.0", "okhttp/4.12.0")
_LOCATIONS = (
    {
        "country_code": "US",
        "country_code3": "USA",
        "country_name": "United States",
        "city_name": "Seattle",
        "latitude": 47.6062,
        "longitude": -122.3321,
        "time_zone": "America/Los_Angeles",
        "continent_code": "NA",
    },
    {
        "country_code": "DE",
        "country_code3": "DEU",
        "country_name": "Germany",
        "city_name": "Berlin",
        "latitude": 52.52,
        "longitude": 13.405,
        "time_zone": "Europe/Berlin",
        "continent_code": "EU",
    },
    {
        "country_code": "BR",
        "country_code3": "BRA",
        "country_name": "Brazil",
        "city_name": "Sao Paulo",
        "latitude": -23.5505,
        "longitude": -46.6333,
        "time_zone": "America/Sao_Paulo",
        "continent_code": "SA",
    },
    {
        "country_code": "JP",
        "country_code3": "JPN",
        "country_name": "Japan",
        "city_name": "Tokyo",
        "latitude": 35.6762,
        "longitude": 139.6503,
        "time_zone": "Asia/Tokyo",
        "continent_code": "AS",
    },
    {
        "country_code": "AU",
        "country_code3": "AUS",
        "country_name": "Australia",
        "city_name": "Sydney",
        "latitude": -33.8688,
        "longitude": 151.2093,
        "time_zone": "Australia/Sydney",
        "continent_code": "OC",
    },
)
# Documentation address blocks only (RFC 5737 / RFC 3849): realistic shapes, never real hosts.
_IPV4_NETS = tuple(ipaddress.IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))
_IPV6_NET = ipaddress.IPv6Network("2001:db8::/32")


class TrafficGenerator:
    """Produces a realistic mix of tenant log events; the same seed gives the same events."""

    def __init__(
        self, tenant_name: str, environment_name: str, hostname: str, seed: int | None = None
    ) -> None:
        self.tenant_name = tenant_name
        self.environment_name = environment_name
        self.hostname = hostname
        self.rng = random.Random(seed)
        # Deprecation notices (depnote) come from legacy features (Rules and Hooks), which the ``good``
        # profile has switched off; :func:`emit` follows the tenant's profile.
        self.legacy_features = True
        # Rate-limit events and Attack Protection blocks (api_limit, limit_wc, limit_mu): each one is
        # a detection (limit_event), so the ``good`` profile, a healthy tenant, has none.
        self.limit_events = True
        # Loop time until which :func:`generate_forever` generates nothing (the ``stream_pause`` scenario).
        self.quiet_until = 0.0
        self._pending: deque[Event] = deque()
        self.apps = [
            App(self._token(32, _ALNUM), "Customer Portal", "spa"),
            App(self._token(32, _ALNUM), "Partner Dashboard", "regular_web"),
            App(self._token(32, _ALNUM), "Mobile Banking", "native"),
        ]
        self.m2m_apps = [
            App(self._token(32, _ALNUM), "Billing Service", "non_interactive"),
            App(self._token(32, _ALNUM), "Provisioning Job", "non_interactive"),
        ]
        self.database = Connection(
            "Username-Password-Authentication", self._id("con_", 16), "auth0", "database"
        )
        self.connections = [
            self.database,
            Connection("google-oauth2", self._id("con_", 16), "google-oauth2", "social"),
            Connection("acme-corp-saml", self._id("con_", 16), "samlp", "enterprise"),
        ]
        self.users = [self._new_user(i) for i in range(40)]
        self._scenarios: list[tuple[Callable[[datetime], list[Event]], int]] = [
            (self._login, 30),
            (self._failed_login, 12),
            (self._signup, 6),
            (self._refresh, 10),
            (self._client_credentials, 8),
            (self._silent_auth, 10),
            (self._logout, 6),
            (self._failed_code_exchange, 2),
            (self._management, 6),
            (self._notice, 3),
        ]

    def take(self, count: int, now: datetime | None = None) -> list[Event]:
        """Exactly ``count`` events (scenarios straddling the boundary continue on the next call)."""
        while len(self._pending) < count:
            self._pending.extend(self.scenario(now or datetime.now(UTC)))
        return [self._pending.popleft() for _ in range(count)]

    def scenario(self, now: datetime) -> list[Event]:
        """The events of one randomly chosen interaction that ended before ``now``: Auth0 ingests
        with a delay, so no event is dated after the ingestion time its log id carries."""
        funcs, weights = zip(*self._scenarios, strict=True)
        deadline = now - timedelta(seconds=self.rng.uniform(1.0, 4.0))
        events = self.rng.choices(funcs, weights)[0](deadline)
        last = max(_parse_date(e["date"]) for e in events)
        return _shifted(events, last - deadline) if last > deadline else events

    # -- random building blocks -------------------------------------------------------------

    def event(
        self, type_: str, description: str, when: datetime, app: App, client: Client, **fields: Any
    ) -> Event:
        """One event of this tenant (for scenarios built outside the generator)."""
        return self._event(type_, description, when, app, client, **fields)

    def user_fields(self, user: User) -> dict[str, Any]:
        """The user and connection fields of an event about ``user``."""
        return self._user_fields(user)

    def browser(self) -> Client:
        """A random browser client."""
        return self._browser()

    def deprecation_notice(self, when: datetime, app: App, client: Client) -> Event:
        """A ``depnote`` event: the legacy Rules and Hooks still in use."""
        feature = {
            "id": "legacy_rules",
            "name": "Rules and Hooks",
            "description": "Rules are deprecated.",
            "documentation": "https://auth0.com/docs/customize/actions/migrate/migrate-from-rules-to-actions",
        }
        details = {"feature": feature, "method": "post", "path": "/oauth/token"}
        return self._event("depnote", "Deprecation Notice", when, app, client, details=details)

    def _token(self, length: int, alphabet: str = _URLSAFE) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def _id(self, prefix: str, length: int) -> str:
        return prefix + self._token(length, _ALNUM)

    def _hex(self, length: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))

    def _new_user(self, index: int) -> User:
        connection = self.rng.choices(self.connections, (70, 20, 10))[0]
        if connection.strategy == "auth0":
            user_id = f"auth0|{self._hex(24)}"
        elif connection.strategy == "google-oauth2":
            user_id = f"google-oauth2|{self.rng.randrange(10**20, 10**21)}"
        else:
            user_id = f"samlp|{connection.name}|user{index}@acme.example"
        return User(user_id, f"user{index}@example.com", connection, self.rng.randint(1, 400))

    def _ip(self) -> str:
        if self.rng.random() < 0.25:
            return str(_IPV6_NET[self.rng.randrange(1, 2**64)])
        net = self.rng.choice(_IPV4_NETS)
        return str(net[self.rng.randrange(1, 255)])

    def _browser(self) -> Client:
        agent, mobile = self.rng.choice(_BROWSERS)
        location = dict(self.rng.choice(_LOCATIONS)) if self.rng.random() < 0.6 else None
        return Client(self._ip(), agent, mobile, location)

    def _server(self) -> Client:
        return Client(self._ip(), self.rng.choice(_SERVER_AGENTS), False, None)

    def _ms(self, when: datetime) -> int:
        return int(when.timestamp() * 1000)

    def _event(
        self, type_: str, description: str, when: datetime, app: App, client: Client, **fields: Any
    ) -> Event:
        event: Event = {
            "$event_schema": {"version": EVENT_SCHEMA_VERSION},
            "date": when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "type": type_,
            "description": description,
            "client_id": app.client_id,
            "client_name": app.name,
            "ip": client.ip,
            "user_agent": client.user_agent,
            "isMobile": client.is_mobile,
            "hostname": self.hostname,
            "tenant_name": self.tenant_name,
            "environment_name": self.environment_name,
        }
        if client.location is not None:
            event["location_info"] = client.location
        event.update(fields)
        return event

    def _user_fields(self, user: User) -> dict[str, Any]:
        c = user.connection
        return {
            "user_id": user.user_id,
            "user_name": user.user_name,
            "connection": c.name,
            "connection_id": c.connection_id,
            "strategy": c.strategy,
            "strategy_type": c.strategy_type,
        }

    def _references(self, trace_id: str | None) -> dict[str, Any]:
        return {"references": {"trace_id": trace_id}} if trace_id else {}

    def wrong_password(self, transaction_id: str) -> dict[str, Any]:
        """The details of a failed login of login transaction ``transaction_id``."""
        return {"error": {"message": "Wrong email or password."}, "transaction_id": transaction_id}

    def unknown_user_failure(
        self, when: datetime, app: App, client: Client, user_name: str, transaction_id: str
    ) -> Event:
        """An ``fu`` event: a failed database login for ``user_name``, which is no user of the tenant."""
        c = self.database
        return self._event(
            "fu",
            "Wrong email or password.",
            when,
            app,
            client,
            details=self.wrong_password(transaction_id),
            user_name=user_name,
            connection=c.name,
            connection_id=c.connection_id,
            strategy=c.strategy,
            strategy_type=c.strategy_type,
        )

    # -- scenarios --------------------------------------------------------------------------

    def _login(self, start: datetime) -> list[Event]:
        """Universal Login: maybe a wrong password first, then success and the code exchange."""
        app, user, client = self.rng.choice(self.apps), self.rng.choice(self.users), self._browser()
        transaction_id, session_id = self._token(32), self._token(32)
        trace_id = self._hex(32) if self.rng.random() < 0.5 else None
        events: list[Event] = []
        when = start
        if user.connection.strategy == "auth0" and self.rng.random() < 0.15:
            events.append(
                self._event(
                    "fp",
                    "Wrong email or password.",
                    when,
                    app,
                    client,
                    details=self.wrong_password(transaction_id),
                    **self._user_fields(user),
                    **self._references(trace_id),
                )
            )
            when += timedelta(seconds=self.rng.uniform(3, 15))
        initiated = when - timedelta(milliseconds=self.rng.randint(2000, 25000))
        authenticated = when - timedelta(milliseconds=self.rng.randint(150, 900))
        rules_ms = self.rng.randint(0, 60)
        first_prompt = (
            "prompt-authenticate" if user.connection.strategy == "auth0" else "federated-authenticate"
        )
        prompts = [
            {
                "name": first_prompt,
                "initiatedAt": self._ms(initiated),
                "completedAt": self._ms(authenticated),
                "elapsedTime": self._ms(authenticated) - self._ms(initiated),
                "connection": user.connection.name,
                "connection_id": user.connection.connection_id,
                "strategy": user.connection.strategy,
                "identity": user.user_id.rsplit("|", 1)[-1],
                "stats": {"loginsCount": user.logins},
                "requiredCaptcha": False,
                "session_id": session_id,
            },
            {
                "name": "login",
                "flow": "universal-login",
                "initiatedAt": self._ms(initiated),
                "completedAt": self._ms(when),
                "elapsedTime": self._ms(when) - self._ms(initiated),
                "timers": {"rules": rules_ms},
                "user_id": user.user_id,
                "user_name": user.user_name,
                "requiredCaptcha": False,
                "session_id": session_id,
            },
        ]
        details = {
            "prompts": prompts,
            "initiatedAt": self._ms(initiated),
            "completedAt": self._ms(when),
            "elapsedTime": self._ms(when) - self._ms(initiated),
            "session_id": session_id,
            "transaction_id": transaction_id,
        }
        events.append(
            self._event(
                "s",
                "Successful login",
                when,
                app,
                client,
                details=details,
                **self._user_fields(user),
                **self._references(trace_id),
            )
        )
        if app.kind != "native" or self.rng.random() < 0.5:
            when += timedelta(milliseconds=self.rng.randint(200, 1500))
            events.append(
                self._event(
                    "seacft",
                    "Authorization Code for Access Token",
                    when,
                    app,
                    client,
                    audience=f"https://{self.hostname}/userinfo",
                    scope="openid profile email",
                    details={"code": self._token(40), "access_token_jti": self._hex(32)},
                    user_id=user.user_id,
                    user_name=user.user_name,
                    **self._references(trace_id),
                )
            )
        return events

    def _failed_login(self, start: datetime) -> list[Event]:
        app, user, client = self.rng.choice(self.apps), self.rng.choice(self.users), self._browser()
        transaction_id = self._token(32)
        kind = self.rng.choices(("fp", "fu", "f"), (6, 3, 2))[0]
        if kind == "fp":
            details = self.wrong_password(transaction_id)
            fields = self._user_fields(user)
            return [
                self._event("fp", "Wrong email or password.", start, app, client, details=details, **fields)
            ]
        if kind == "fu":
            unknown = f"nobody{self.rng.randint(1, 999)}@example.com"
            return [self.unknown_user_failure(start, app, client, unknown, transaction_id)]
        message, oauth_error = self.rng.choice(
            (
                ("user is blocked", "unauthorized"),
                ("Invalid state", "access_denied"),
                ("Password login is disabled for clients using organizations", "invalid_request"),
            )
        )
        details = {"error": {"message": message, "oauthError": oauth_error}, "transaction_id": transaction_id}
        return [self._event("f", message, start, app, client, details=details, **self._user_fields(user))]

    def _signup(self, start: datetime) -> list[Event]:
        app, client, c = self.rng.choice(self.apps), self._browser(), self.database
        index = self.rng.randint(1000, 999999)
        email = f"new.user{index}@example.com"
        connection_fields = {
            "connection": c.name,
            "connection_id": c.connection_id,
            "strategy": c.strategy,
            "strategy_type": c.strategy_type,
        }
        if self.rng.random() < 0.25:
            reason = self.rng.choice(("Password is too weak", "The user already exists.", "Invalid sign up"))
            return [
                self._event(
                    "fs", reason, start, app, client, details={}, user_name=email, **connection_fields
                )
            ]
        user = User(f"auth0|{self._hex(24)}", email, c, 1)
        transaction_id = self._token(32)
        body = {
            "tenant": self.tenant_name,
            "client_id": app.client_id,
            "connection": c.name,
            "email": email,
            "email_verified": False,
        }
        signup = self._event(
            "ss",
            "",
            start,
            app,
            client,
            details={"body": body, "transaction_id": transaction_id},
            **self._user_fields(user),
        )
        return [signup]

    def _refresh(self, start: datetime) -> list[Event]:
        app, user, client = self.rng.choice(self.apps), self.rng.choice(self.users), self._browser()
        audience = f"https://api.{self.hostname}/"
        if self.rng.random() < 0.2:
            details: dict[str, Any] = {"failure_reason": "invalid_token"}
            return [
                self._event(
                    "fertft",
                    "Unknown or invalid refresh token.",
                    start,
                    app,
                    client,
                    audience=audience,
                    details=details,
                    user_id=user.user_id,
                )
            ]
        details = {
            "refresh_token": {"access": "offline", "session_id": self._token(32)},
            "access_token_jti": self._hex(32),
        }
        return [
            self._event(
                "sertft",
                "",
                start,
                app,
                client,
                audience=audience,
                scope="openid offline_access",
                details=details,
                user_id=user.user_id,
                user_name=user.user_name,
            )
        ]

    def _client_credentials(self, start: datetime) -> list[Event]:
        app = self.rng.choice(self.m2m_apps)
        audience = self.rng.choice((f"https://{self.hostname}/api/v2/", f"https://api.{self.hostname}/"))
        return [
            self._event(
                "seccft",
                "Client Credentials for Access Token",
                start,
                app,
                self._server(),
                audience=audience,
                scope="read:orders write:orders",
                details={"actions": {"executions": []}, "access_token_jti": self._hex(32)},
            )
        ]

    def _silent_auth(self, start: datetime) -> list[Event]:
        app, user, client = self.rng.choice(self.apps[:2]), self.rng.choice(self.users), self._browser()
        if self.rng.random() < 0.25:
            return [
                self._event(
                    "fsa",
                    "Login required",
                    start,
                    app,
                    client,
                    audience=f"https://{self.hostname}/userinfo",
                    scope="openid profile",
                    details={},
                )
            ]
        session_id = self._token(32)
        initiated = start - timedelta(milliseconds=self.rng.randint(40, 300))
        details = {
            "initiatedAt": self._ms(initiated),
            "completedAt": self._ms(start),
            "elapsedTime": self._ms(start) - self._ms(initiated),
            "session_id": session_id,
            "prompts": [
                {
                    "name": "login",
                    "flow": "silent-authentication",
                    "initiatedAt": self._ms(initiated),
                    "completedAt": self._ms(start),
                    "elapsedTime": self._ms(start) - self._ms(initiated),
                    "user_id": user.user_id,
                    "user_name": user.user_name,
                    "requiredCaptcha": False,
                    "session_id": session_id,
                }
            ],
        }
        return [self._event("ssa", "", start, app, client, details=details, **self._user_fields(user))]

    def _logout(self, start: datetime) -> list[Event]:
        app, user, client = self.rng.choice(self.apps), self.rng.choice(self.users), self._browser()
        return_to = f"https://{app.name.lower().replace(' ', '-')}.example.com/"
        details = {"return_to": return_to, "allowed_logout_url": [return_to], "session_id": self._token(32)}
        return [self._event("slo", "", start, app, client, details=details, **self._user_fields(user))]

    def _failed_code_exchange(self, start: datetime) -> list[Event]:
        app, client = self.rng.choice(self.apps), self._browser()
        return [
            self._event(
                "feacft", "Invalid authorization code", start, app, client, details={"code": self._token(40)}
            )
        ]

    def _management(self, start: datetime) -> list[Event]:
        app, client = self.rng.choice(self.m2m_apps), self._server()
        auth = {
            "credentials": {"jti": self._hex(32)},
            "strategy": "jwt",
            "user": {"name": app.name, "email": "", "user_id": f"{app.client_id}@clients"},
        }
        if self.rng.random() < 0.35:
            target = self.rng.choice(self.apps)
            request = {
                "auth": auth,
                "channel": "api",
                "ip": client.ip,
                "method": "get",
                "path": f"/api/v2/clients/{target.client_id}",
                "query": {},
                "userAgent": client.user_agent,
            }
            response = {"statusCode": 200, "body": {"client_id": target.client_id, "name": target.name}}
            details = {"accessedSecrets": ["client_secret"], "request": request, "response": response}
            return [self._event("mgmt_api_read", "Get client by ID", start, app, client, details=details)]
        user = self.rng.choice(self.users)
        description, method, path, status = self.rng.choice(
            (
                ("Update a User", "patch", f"/api/v2/users/{user.user_id}", 200),
                ("Create a User", "post", "/api/v2/users", 201),
                ("Delete a User", "delete", f"/api/v2/users/{user.user_id}", 204),
                ("Assign roles to a user", "post", f"/api/v2/users/{user.user_id}/roles", 204),
            )
        )
        request = {
            "auth": auth,
            "channel": "api",
            "ip": client.ip,
            "method": method,
            "path": path,
            "query": {},
            "body": {},
            "userAgent": client.user_agent,
        }
        details = {"request": request, "response": {"statusCode": status, "body": {}}}
        return [self._event("sapi", description, start, app, client, details=details)]

    def _notice(self, start: datetime) -> list[Event]:
        kinds = (
            ("api_limit", "api_limit_warning", "limit_wc", "limit_mu")
            if self.limit_events
            else ("api_limit_warning",)
        )
        kind = self.rng.choice((*kinds, "depnote") if self.legacy_features else kinds)
        app = self.rng.choice(self.m2m_apps + self.apps)
        if kind in ("api_limit", "api_limit_warning"):
            path = self.rng.choice(("/api/v2/logs", "/api/v2/users", "/oauth/token"))
            limit: dict[str, Any] = {
                "bucket": f"per_tenant:{path}",
                "global": self.rng.random() < 0.3,
                "size": 100,
            }
            request = {"method": "get" if path.startswith("/api") else "post", "path": path}
            event = self._event(kind, "", start, app, self._server())
            event.pop("ip")  # rate-limit notices carry no client address
            if kind == "api_limit":
                event.update(
                    description="Rate limit exceeded",
                    details={"limit": limit, "request": request, "response": "Too Many Requests"},
                )
            else:
                limit["usage"] = self.rng.randint(80, 99)
                event.update(description="Rate limit warning", details={"limit": limit, "request": request})
            return [event]
        client = self._browser()
        if kind == "limit_wc":
            user = self.rng.choice(self.users)
            return [
                self._event(
                    "limit_wc",
                    "Blocked Account",
                    start,
                    app,
                    client,
                    details={},
                    user_id=user.user_id,
                    user_name=user.user_name,
                )
            ]
        if kind == "limit_mu":
            return [
                self._event("limit_mu", "Blocked IP Address", start, app, client, details={"flow": "login"})
            ]
        return [self.deprecation_notice(start, app, client)]


def _parse_date(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _shifted(events: list[Event], delta: timedelta) -> list[Event]:
    """``events`` moved ``delta`` earlier: their ``date`` and the prompt timings in ``details``."""
    millis = round(delta.total_seconds() * 1000)

    def move(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: v - millis if k in ("initiatedAt", "completedAt") and isinstance(v, int) else move(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [move(item) for item in value]
        return value

    moved = []
    for event in events:
        when = _parse_date(event["date"]) - timedelta(milliseconds=millis)
        stamp = when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        moved.append({**move(event), "date": stamp})
    return moved


def emit(state: TenantState, generator: TrafficGenerator, count: int) -> list[Event]:
    """Generate ``count`` events now and store them in ``state`` (each gets its log id there)."""
    generator.legacy_features = state.profile != "good"
    generator.limit_events = state.profile != "good"
    stored = [state.add_event(event) for event in generator.take(count)]
    state.counters.generated += len(stored)
    return stored


async def generate_forever(
    state: TenantState, generator: TrafficGenerator, events_per_second: float, max_events: int | None
) -> None:
    """Emit ``events_per_second`` on average until ``max_events`` were generated (or forever)."""
    if events_per_second <= 0:
        return
    loop = asyncio.get_running_loop()
    started, emitted = loop.time(), 0
    while max_events is None or emitted < max_events:
        await asyncio.sleep(min(0.1, 1 / events_per_second))
        if loop.time() < generator.quiet_until:
            started = loop.time() - emitted / events_per_second
            continue
        due = int((loop.time() - started) * events_per_second) - emitted
        if max_events is not None:
            due = min(due, max_events - emitted)
        if due > 0:
            emit(state, generator, due)
            emitted += due
