"""Attack and failure scenarios on demand: ``POST /_sim/scenarios/<name>`` (``GET /_sim/scenarios`` lists
them), ``otel-auth0 simulate --scenario NAME`` and ``otel-auth0 demo --scenario NAME``.

Event scenarios store the events Auth0 would log for the pattern, dated over the last minutes; the
``stream_pause`` scenario silences the tenant (no events generated, Log Stream paused) for
``seconds`` (body, default 360); ``login_outage`` answers the next ``count`` (default 10) token
requests with 503; ``login_slow`` answers the next ``count`` (default 3) token requests ``seconds``
(default 6) late. docs/simulator.md lists which detection rule each one triggers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from otel_auth0_sim.control import ControlError
from otel_auth0_sim.state import Event, Fault, Slowdown, TenantState
from otel_auth0_sim.traffic import App, Client, TrafficGenerator, User

STUFFING_IPS = ("203.0.113.201", "203.0.113.202", "203.0.113.203")
STUFFING_ATTEMPTS = 40
BRUTE_FORCE_IP = "203.0.113.66"
ATTACK_AGENT = "python-requests/2.32.3"


def _attacker(ip: str) -> Client:
    return Client(ip, ATTACK_AGENT, False, None)


def _transaction(gen: TrafficGenerator) -> str:
    """A login transaction id (failed logins carry one, so their spans can be linked)."""
    return f"{gen.rng.getrandbits(128):032x}"


def _spread(now: datetime, count: int, seconds: float) -> list[datetime]:
    """``count`` instants evenly spread over the ``seconds`` before ``now``, oldest first."""
    step = seconds / max(count, 1)
    return [now - timedelta(seconds=seconds - step * (index + 1)) for index in range(count)]


def credential_stuffing(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """40 failed logins for 40 different user names from each of three IPs within 90 seconds."""
    events = []
    app = gen.apps[0]
    times = iter(_spread(now, STUFFING_ATTEMPTS * len(STUFFING_IPS), 90))
    for ip in STUFFING_IPS:
        for index in range(STUFFING_ATTEMPTS):
            name = f"stuffed{index}.{ip.rsplit('.', 1)[1]}@example.com"
            events.append(gen.unknown_user_failure(next(times), app, _attacker(ip), name, _transaction(gen)))
    return events


def _user_events(
    gen: TrafficGenerator,
    user: User,
    app: App,
    client: Client,
    kind: tuple[str, str],
    times: list[datetime],
    details: Callable[[], dict[str, Any]] = dict,
) -> list[Event]:
    """One event of ``kind`` (type, description) about ``user`` at each of ``times``."""
    type_, description = kind
    return [
        gen.event(type_, description, when, app, client, details=details(), **gen.user_fields(user))
        for when in times
    ]


def brute_force(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """25 wrong passwords for one existing user from one IP within 50 s, then the IP is blocked."""
    user = next(user for user in gen.users if user.connection is gen.database)
    app, client = gen.apps[0], _attacker(BRUTE_FORCE_IP)
    return [
        *_user_events(
            gen,
            user,
            app,
            client,
            ("fp", "Wrong email or password."),
            _spread(now, 25, 50),
            lambda: gen.wrong_password(_transaction(gen)),
        ),
        *_user_events(gen, user, app, client, ("limit_wc", "Blocked Account"), [now]),
    ]


def mfa_push_bombing(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """Eight MFA push notifications to one user within two minutes; the user rejects one."""
    user, app, client = gen.users[1], gen.apps[0], _attacker(BRUTE_FORCE_IP)
    return [
        *_user_events(
            gen, user, app, client, ("gd_send_pn", "Guardian - Push notification sent"), _spread(now, 8, 120)
        ),
        *_user_events(gen, user, app, client, ("gd_auth_rejected", "Guardian - User rejected push"), [now]),
    ]


def leaked_password(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """Three logins with breached passwords (Breached Password Detection)."""
    app = gen.apps[0]
    return [
        gen.event(
            "pwd_leak",
            "Breached password",
            when,
            app,
            _attacker(STUFFING_IPS[0]),
            details={
                "error": {"message": "This password has been leaked and a different one needs to be used."}
            },
            **gen.user_fields(user),
        )
        for when, user in zip(_spread(now, 3, 30), gen.users[2:5], strict=True)
    ]


def rate_limit_burst(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """60 ``api_limit`` events within 30 s from one client."""
    app = gen.m2m_apps[0]
    events = []
    for when in _spread(now, 60, 30):
        event = gen.event(
            "api_limit", "Rate limit exceeded", when, app, Client("", "node-fetch/1.0", False, None)
        )
        event.pop("ip")
        event["details"] = {
            "limit": {"bucket": "per_tenant:/api/v2/users", "global": False, "size": 100},
            "request": {"method": "get", "path": "/api/v2/users"},
            "response": "Too Many Requests",
        }
        events.append(event)
    return events


def email_outage(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """Eight verification and notification e-mails that could not be sent within five minutes."""
    app = gen.apps[0]
    events = []
    for index, when in enumerate(_spread(now, 8, 300)):
        user = gen.users[index]
        kind, description = (
            ("fv", "Failed to send verification email")
            if index % 2
            else ("fn", "Failed sending notification")
        )
        details = {"error": "connect ECONNREFUSED: email provider unreachable", "email_type": "verify_email"}
        events.append(
            gen.event(kind, description, when, app, gen.browser(), details=details, **gen.user_fields(user))
        )
    return events


def _admin_request(
    gen: TrafficGenerator, method: str, path: str, body: Any, response: Any, status: int = 200
) -> dict[str, Any]:
    return {
        "request": {
            "auth": {
                "strategy": "jwt",
                "user": {"email": "admin@example.com", "name": "Admin", "user_id": "auth0|admin"},
            },
            "channel": "https://manage.auth0.com/",
            "method": method,
            "path": path,
            "query": {},
            "body": body,
        },
        "response": {"statusCode": status, "body": response},
    }


def security_setting_change(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """Management API changes that weaken security: attack protection off, MFA policy "never", an MFA
    factor off, post-login Actions rebound, an owner invited, a client granted the Management API."""
    app, client = gen.m2m_apps[1], _attacker("198.51.100.250")
    api = f"https://{gen.hostname}/api/v2/"
    changes = [
        (
            "Update Brute-force settings",
            "patch",
            "/api/v2/attack-protection/brute-force-protection",
            {"enabled": False},
            {"enabled": False, "shields": []},
        ),
        ("Set the Multi-factor Authentication policies", "put", "/api/v2/guardian/policies", [], []),
        (
            "Update Multi-factor Authentication factor",
            "put",
            "/api/v2/guardian/factors/sms",
            {"enabled": False},
            {"enabled": False},
        ),
        (
            "Update trigger bindings",
            "patch",
            "/api/v2/actions/triggers/post-login/bindings",
            {"bindings": [{"display_name": "add-claims"}]},
            {"bindings": []},
        ),
        (
            "Create tenant invitations for a given client",
            "post",
            "/api/v2/tenants/invitations",
            {"email": "new.admin@example.net", "roles": ["owner"]},
            {},
        ),
        (
            "Create client grant",
            "post",
            "/api/v2/client-grants",
            {"client_id": app.client_id, "audience": api, "scope": ["read:users", "update:users"]},
            {},
        ),
    ]
    return [
        gen.event(
            "sapi", description, when, app, client, details=_admin_request(gen, method, path, body, response)
        )
        for when, (description, method, path, body, response) in zip(
            _spread(now, len(changes), 30), changes, strict=True
        )
    ]


def token_reuse(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """A rotating refresh token used a second time."""
    user, app = gen.users[3], gen.apps[2]
    return [
        gen.event(
            "ferrt",
            "Unsuccessful Refresh Token exchange, reused refresh token detected",
            now,
            app,
            _attacker("198.51.100.251"),
            details={"familyId": "fam_sim", "tokenCounter": 2, "latestCounter": 3},
            user_id=user.user_id,
            user_name=user.user_name,
        )
    ]


def shared_mfa_phone(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """One phone number completing SMS enrolment for four users within ten minutes."""
    app = gen.apps[0]
    return [
        gen.event(
            "gd_enrollment_complete",
            "Guardian - Enrollment complete (sms)",
            when,
            app,
            gen.browser(),
            details={"authenticator": {"type": "sms", "phone_number": "+15555550123"}},
            **gen.user_fields(user),
        )
        for when, user in zip(_spread(now, 4, 600), gen.users[5:9], strict=True)
    ]


def dynamic_clients(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """16 Dynamic Client Registrations within ten minutes."""
    app, client = gen.apps[0], _attacker("198.51.100.252")
    return [
        gen.event(
            "sapi",
            "Dynamic client registration",
            when,
            app,
            client,
            details=_admin_request(
                gen,
                "post",
                "/oidc/register",
                {"client_name": f"app{index}"},
                {"client_id": f"dcr{index:04d}"},
                201,
            ),
        )
        for index, when in enumerate(_spread(now, 16, 600))
    ]


def deprecated_feature(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """A deprecation notice for a legacy feature still in use."""
    return [gen.deprecation_notice(now, gen.apps[0], gen.browser())]


SLOW_IPS = ("203.0.113.71", "203.0.113.72", "203.0.113.73")
SLOW_STUFFING_IP = "203.0.113.81"
COA_IP = "203.0.113.91"


def slow_brute_force(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """Low and slow: 20 wrong passwords for one user over 10 minutes (two a minute), rotating over
    three IPs (at most 7 each, below Brute-force Protection's block at 10), then a login from one of
    them succeeds."""
    user = next(user for user in gen.users if user.connection is gen.database)
    app = gen.apps[0]
    times = _spread(now - timedelta(seconds=30), 20, 600)
    events = [
        *(
            _user_events(
                gen,
                user,
                app,
                _attacker(SLOW_IPS[index % 3]),
                ("fp", "Wrong email or password."),
                [when],
                lambda: gen.wrong_password(_transaction(gen)),
            )[0]
            for index, when in enumerate(times)
        )
    ]
    events.extend(_user_events(gen, user, app, _attacker(SLOW_IPS[1]), ("s", "Successful login"), [now]))
    return events


def slow_credential_stuffing(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """30 failed logins for 30 user names from one IP over 50 minutes (at most 3 in any 5 minutes)."""
    app, client = gen.apps[0], _attacker(SLOW_STUFFING_IP)
    return [
        gen.unknown_user_failure(when, app, client, f"slow{index}@example.com", _transaction(gen))
        for index, when in enumerate(_spread(now, 30, 3000))
    ]


def cross_origin_stuffing(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """Credential stuffing through cross-origin authentication (embedded login): 12 failed (fcoa) for
    12 user names from one IP within 2 minutes, then one succeeds (scoa)."""
    app, client = gen.apps[0], _attacker(COA_IP)
    times = _spread(now - timedelta(seconds=10), 12, 120)
    events = [
        gen.event(
            "fcoa",
            "Wrong email or password.",
            when,
            app,
            client,
            details={"error": {"message": "Wrong email or password."}},
            user_name=f"coa{index}@example.com",
        )
        for index, when in enumerate(times)
    ]
    user = gen.users[3]
    events.append(gen.event("scoa", "", now, app, client, details={}, **gen.user_fields(user)))
    return events


def signup_attack(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """40 failed signups from rotating IPs within a minute (fake-account creation)."""
    app = gen.apps[0]
    return [
        gen.event(
            "fs",
            "Password is too weak",
            when,
            app,
            _attacker(f"203.0.113.{100 + index % 40}"),
            details={"body": {"email": f"bot{index}@example.net"}},
            user_name=f"bot{index}@example.net",
            connection=gen.database.name,
        )
        for index, when in enumerate(_spread(now, 40, 60))
    ]


def attack_protection_blocks(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """Attack Protection blocking: 12 IPs blocked (limit_mu) within 3 minutes."""
    app = gen.apps[0]
    return [
        gen.event(
            "limit_mu", "Blocked IP Address", when, app, _attacker(f"203.0.113.{150 + index}"), details={}
        )
        for index, when in enumerate(_spread(now, 12, 180))
    ]


def attack_protection_weakened(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """Attack protection weakened without switching it off: Suspicious IP Throttling only notifies,
    Bot Detection's policies off, Adaptive MFA's risk assessment off."""
    app, client = gen.m2m_apps[1], _attacker("198.51.100.251")
    changes = [
        (
            "Update Suspicious IP Throttling settings",
            "patch",
            "/api/v2/attack-protection/suspicious-ip-throttling",
            {"shields": ["admin_notification"]},
            {"enabled": True, "shields": ["admin_notification"]},
        ),
        (
            "Create or update the anomaly detection captcha",
            "patch",
            "/api/v2/attack-protection/bot-detection",
            {"policy": "off"},
            {"policy": "off", "passwordless_policy": "off", "password_reset_policy": "off"},
        ),
        (
            "Updates risk assessment configs",
            "patch",
            "/api/v2/risk-assessment/config",
            {"AfterAuthentication": False},
            {"AfterAuthentication": False},
        ),
    ]
    return _admin_changes(gen, app, client, now, changes)


def tenant_access_change(gen: TrafficGenerator, now: datetime) -> list[Event]:
    """Who can do what changed: a role created, an organization invitation, an invitation accepted,
    a member removed, an integration installed, the MFA policy and a factor set, risk assessment on."""
    app, client = gen.m2m_apps[1], _attacker("198.51.100.252")
    changes = [
        ("Create a role", "post", "/api/v2/roles", {"name": "support-admin"}, {"id": "rol_1"}),
        (
            "Create invitations to organization",
            "post",
            "/api/v2/organizations/org_acme/invitations",
            {"invitee": {"email": "new.member@example.net"}},
            {},
        ),
        ("Update an invitation", "patch", "/api/v2/tenants/invitations/inv_1", {"state": "accepted"}, {}),
        ("Delete tenant member", "delete", "/api/v2/tenants/members/mem_1", {}, {}),
        (
            "Install an available integration",
            "post",
            "/api/v2/integrations/installed",
            {"integration_id": "i1"},
            {},
        ),
        (
            "Set the Multi-factor Authentication policies",
            "put",
            "/api/v2/guardian/policies",
            ["all-applications"],
            ["all-applications"],
        ),
        (
            "Update a Multi-factor Authentication Factor",
            "put",
            "/api/v2/guardian/factors/otp",
            {"enabled": True},
            {"enabled": True},
        ),
        (
            "Updates risk assessment configs",
            "patch",
            "/api/v2/risk-assessment/config",
            {"AfterAuthentication": True},
            {"AfterAuthentication": True},
        ),
    ]
    return _admin_changes(gen, app, client, now, changes)


def _admin_changes(
    gen: TrafficGenerator,
    app: App,
    client: Client,
    now: datetime,
    changes: list[tuple[str, str, str, Any, Any]],
) -> list[Event]:
    return [
        gen.event(
            "sapi", description, when, app, client, details=_admin_request(gen, method, path, body, response)
        )
        for when, (description, method, path, body, response) in zip(
            _spread(now, len(changes), 30), changes, strict=True
        )
    ]


EVENT_SCENARIOS: dict[str, Callable[[TrafficGenerator, datetime], list[Event]]] = {
    "credential_stuffing": credential_stuffing,
    "brute_force": brute_force,
    "mfa_push_bombing": mfa_push_bombing,
    "leaked_password": leaked_password,
    "rate_limit_burst": rate_limit_burst,
    "email_outage": email_outage,
    "security_setting_change": security_setting_change,
    "token_reuse": token_reuse,
    "shared_mfa_phone": shared_mfa_phone,
    "dynamic_clients": dynamic_clients,
    "deprecated_feature": deprecated_feature,
    "slow_brute_force": slow_brute_force,
    "slow_credential_stuffing": slow_credential_stuffing,
    "cross_origin_stuffing": cross_origin_stuffing,
    "signup_attack": signup_attack,
    "attack_protection_blocks": attack_protection_blocks,
    "attack_protection_weakened": attack_protection_weakened,
    "tenant_access_change": tenant_access_change,
}
ACTION_SCENARIOS = ("stream_pause", "login_outage", "login_slow")
NAMES = (*EVENT_SCENARIOS, *ACTION_SCENARIOS)
DEFAULT_PAUSE_SECONDS = 360
TOKEN_PATH = "/oauth/token"


def _number(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ControlError(f"{key!r} must be an integer >= 1")
    return value


def run_scenario(
    state: TenantState, generator: TrafficGenerator, name: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Start scenario ``name`` on the running loop; what it did, as JSON."""
    builder = EVENT_SCENARIOS.get(name)
    if builder is not None:
        stored = [state.add_event(event) for event in builder(generator, datetime.now(UTC))]
        return {"scenario": name, "log_ids": [event["log_id"] for event in stored]}
    if name == "login_slow":
        seconds, count = _number(body, "seconds", 6), _number(body, "count", 3)
        state.slowdowns.append(Slowdown(TOKEN_PATH, float(seconds), count))
        return {"scenario": name, "seconds": seconds, "count": count}
    if name == "login_outage":
        count = _number(body, "count", 10)
        state.faults.append(Fault(TOKEN_PATH, 503, count))
        return {"scenario": name, "faults": count}
    if name == "stream_pause":
        seconds = _number(body, "seconds", DEFAULT_PAUSE_SECONDS)
        loop = asyncio.get_running_loop()
        generator.quiet_until = loop.time() + seconds
        state.stream.paused = True
        state.changed.set()

        def resume() -> None:
            state.stream.paused = False
            state.changed.set()

        loop.call_later(seconds, resume)
        return {"scenario": name, "seconds": seconds}
    raise ControlError(f"unknown scenario {name!r}; one of {', '.join(NAMES)}")


def scenario_routes(state: TenantState, generator: TrafficGenerator) -> list[Route]:
    """``GET /_sim/scenarios`` and ``POST /_sim/scenarios/<name>``."""

    async def listing(request: Request) -> JSONResponse:
        return JSONResponse({"scenarios": list(NAMES)})

    async def start(request: Request) -> JSONResponse:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError) as error:
            raise ControlError(f"body is not JSON: {error}") from None
        if not isinstance(body, dict):
            raise ControlError("body must be a JSON object")
        name = request.path_params["name"]
        if name not in NAMES:
            return JSONResponse(
                {"error": f"unknown scenario {name!r}", "scenarios": list(NAMES)}, status_code=404
            )
        return JSONResponse(run_scenario(state, generator, name, body))

    return [
        Route("/_sim/scenarios", listing, methods=["GET"]),
        Route("/_sim/scenarios/{name}", start, methods=["POST"]),
    ]
