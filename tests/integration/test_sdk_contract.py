"""The simulator keeps Auth0's Management API contract, checked by Auth0's own SDK (``auth0-python``).

- every endpoint the simulator serves, for each profile (and the ``essentials`` plan, which answers
  403 for the features it lacks), parses with the SDK's response type field for
  field: no field the SDK's model does not declare (log rows: only fields of Auth0's log-event schemas);
- an audit tool written against Auth0's real API (the SDK's ``ManagementClient`` and a plain
  client-credentials token; no project code) walks the ``large`` tenant to the end with no 4xx;
- pagination limits, the log search cap and ``q`` syntax, and Auth0's error bodies and status codes.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import auth0.management.types as sdk
import httpx
import pytest
from auth0.management import ManagementClient
from auth0.management.core.pydantic_utilities import parse_obj_as
from pydantic import BaseModel

from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.shared_data import require_shared_data

pytestmark = pytest.mark.integration
TEMPLATES = ("verify_email", "reset_email", "welcome_email")
PLAN_FEATURES = ("attack-protection/bot-detection", "event-streams", "network-acls")
MISCONFIGURED_ABSENT = ("emails/provider", "email-templates/verify_email", "email-templates/welcome_email")
ENDPOINTS: list[tuple[str, dict[str, Any], Any]] = [
    ("tenants/settings", {}, sdk.GetTenantSettingsResponseContent),
    ("clients", {"include_totals": "true", "per_page": 100}, sdk.ListClientsOffsetPaginatedResponseContent),
    ("client-grants", {"take": 100}, sdk.ListClientGrantPaginatedResponseContent),
    ("connections", {"take": 100}, sdk.ListConnectionsCheckpointPaginatedResponseContent),
    ("resource-servers", {"include_totals": "true"}, sdk.ListResourceServerOffsetPaginatedResponseContent),
    ("emails/provider", {}, sdk.GetEmailProviderResponseContent),
    *[(f"email-templates/{name}", {}, sdk.GetEmailTemplateResponseContent) for name in TEMPLATES],
    ("attack-protection/brute-force-protection", {}, sdk.GetBruteForceSettingsResponseContent),
    ("attack-protection/suspicious-ip-throttling", {}, sdk.GetSuspiciousIpThrottlingSettingsResponseContent),
    (
        "attack-protection/breached-password-detection",
        {},
        sdk.GetBreachedPasswordDetectionSettingsResponseContent,
    ),
    ("attack-protection/bot-detection", {}, sdk.GetBotDetectionSettingsResponseContent),
    ("attack-protection/captcha", {}, sdk.GetAttackProtectionCaptchaResponseContent),
    ("log-streams", {}, typing.List[sdk.LogStreamResponseSchema]),  # noqa: UP006 - the SDK's alias
    ("event-streams", {"take": 100}, sdk.ListEventStreamsResponseContent),
    ("network-acls", {"include_totals": "true"}, sdk.ListNetworkAclsOffsetPaginatedResponseContent),
    ("custom-domains", {}, sdk.ListCustomDomainsResponseContent),
    ("guardian/factors", {}, list[sdk.GuardianFactor]),
    ("guardian/policies", {}, sdk.ListGuardianPoliciesResponseContent),
    ("guardian/factors/phone/selected-provider", {}, sdk.GetGuardianFactorsProviderPhoneResponseContent),
    ("prompts", {}, sdk.GetSettingsResponseContent),
    ("branding", {}, sdk.GetBrandingResponseContent),
    ("actions/actions", {}, sdk.ListActionsPaginatedResponseContent),
    ("actions/triggers", {}, sdk.ListActionTriggersResponseContent),
    ("actions/triggers/post-login/bindings", {}, sdk.ListActionBindingsPaginatedResponseContent),
    ("rules", {"include_totals": "true"}, sdk.ListRulesOffsetPaginatedResponseContent),
    ("hooks", {"include_totals": "true"}, sdk.ListHooksOffsetPaginatedResponseContent),
    ("logs", {"include_totals": "true", "per_page": 100}, sdk.ListLogOffsetPaginatedResponseContent),
]


def _undeclared(value: Any, path: str = "$") -> Iterator[str]:
    """Paths of fields the SDK's models do not declare (kept only as pydantic extras)."""
    if isinstance(value, BaseModel):
        for name in value.__pydantic_extra__ or {}:
            yield f"{path}.{name}"
        for name in type(value).model_fields:
            yield from _undeclared(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _undeclared(item, f"{path}[]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _undeclared(item, f"{path}.{key}")


def _key_paths(value: Any, path: str = "$") -> set[str]:
    """Every object key of a JSON value as a path (list items collapsed to ``[]``)."""
    if isinstance(value, dict):
        found = set()
        for key, item in value.items():
            found |= {f"{path}.{key}"} | _key_paths(item, f"{path}.{key}")
        return found
    if isinstance(value, list):
        return set().union(*(_key_paths(item, f"{path}[]") for item in value)) if value else set()
    return set()


def _dumped(parsed: Any) -> Any:
    """The parsed response as JSON with the SDK's wire names (aliases), only the fields that were set."""
    if isinstance(parsed, BaseModel):
        return parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(parsed, list):
        return [_dumped(item) for item in parsed]
    return parsed


def _log_schema_fields() -> set[str]:
    """Top-level fields of Auth0's log-event JSON schemas, plus ``_id`` that API rows carry."""
    root = require_shared_data("data", "auth0-log-schemas", "schemas", "log-types")
    names = {"_id"}

    def props(schema: dict[str, Any]) -> set[str]:
        found = set(schema.get("properties", {}))
        for key in ("allOf", "anyOf", "oneOf"):
            for part in schema.get(key, []):
                found |= props(part)
        return found

    for path in root.glob("*.json"):
        names |= props(json.loads(path.read_text()))
    return names


def _token(sim: SimulatorHandle, client_id: str | None = None, secret: str | None = None) -> str:
    info = sim.info
    response = httpx.post(
        f"{sim.base_url}/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": client_id or info["client_id"],
            "client_secret": secret or info["client_secret"],
            "audience": f"https://{info['domain']}/api/v2/",
        },
        verify=sim.verify,
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def _start(tmp_path: Path, profile: str, *extra: str) -> Any:
    return running_simulator(
        "--profile",
        profile,
        "--events-per-second",
        "0",
        "--mgmt-rate-limit",
        "200",
        "--state-dir",
        str(tmp_path / "sim"),
        "--seed",
        "11",
        *extra,
        timeout=90,
    )


def _assert_auth0_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"statusCode", "error", "message", "errorCode"}, body
    assert body["statusCode"] == status
    return dict(body)


@pytest.mark.parametrize("profile", ["good", "misconfigured", "essentials"])
def test_every_endpoint_parses_with_the_sdk_type_field_for_field(tmp_path: Path, profile: str) -> None:
    log_fields = _log_schema_fields()
    with _start(tmp_path, profile) as sim:
        httpx.post(f"{sim.base_url}/_sim/events", json={"generate": 200}, verify=sim.verify, timeout=30)
        headers = {"Authorization": f"Bearer {_token(sim)}"}
        with httpx.Client(base_url=sim.base_url, verify=sim.verify, headers=headers, timeout=30) as http:
            checked = []
            for path, params, response_type in ENDPOINTS:
                response = http.get(f"/api/v2/{path}", params=params)
                if profile == "essentials" and path in PLAN_FEATURES:
                    body = _assert_auth0_error(response, 403)
                    assert "upgrade your subscription" in body["message"]
                    continue
                if profile == "misconfigured" and path in MISCONFIGURED_ABSENT:
                    _assert_auth0_error(response, 404)
                    continue
                assert response.status_code == 200, f"{path}: {response.text}"
                parsed = parse_obj_as(response_type, response.json())
                renamed = _key_paths(response.json()) - _key_paths(_dumped(parsed))
                assert not renamed, f"{path}: keys not under the SDK's wire names: {renamed}"
                undeclared = {re.sub(r"^\$\.logs\[\]\.", "", p) for p in _undeclared(parsed)}
                if path == "logs":
                    undeclared -= log_fields
                    assert len(response.json()["logs"]) == 100
                assert not undeclared, f"{path}: fields {response_type} does not declare: {undeclared}"
                checked.append(path)
            log_id = http.get("/api/v2/logs", params={"per_page": 1}).json()[0]["log_id"]
            one = http.get(f"/api/v2/logs/{log_id}")
            assert set(_undeclared(parse_obj_as(sdk.GetLogResponseContent, one.json()))) <= {
                f"$.{name}" for name in log_fields
            }
    refused = {"misconfigured": len(MISCONFIGURED_ABSENT), "essentials": len(PLAN_FEATURES)}.get(profile, 0)
    assert len(checked) == len(ENDPOINTS) - refused


def test_an_audit_tool_on_auth0s_sdk_reads_the_large_tenant_to_the_end(tmp_path: Path) -> None:
    with _start(tmp_path, "large") as sim:
        assert isinstance(sim.verify, str)
        with httpx.Client(verify=sim.verify, timeout=60) as http:
            client = ManagementClient(domain=sim.info["domain"], token=_token(sim), httpx_client=http)
            applications = list(client.clients.list(per_page=100, include_totals=True, is_global=False))
            connections = list(client.connections.list(take=100))
            apis = list(client.resource_servers.list(per_page=100, include_totals=True))
            grants = list(client.client_grants.list(take=100))
            assert len(applications) == 150 and len({a.client_id for a in applications}) == 150
            assert len(connections) == 60 and len(apis) == 40 and grants
            settings = client.tenants.settings.get()
            assert settings.error_page is not None and settings.session_lifetime
            breached = client.attack_protection.breached_password_detection.get()
            assert breached.stage is not None and breached.stage.pre_user_registration is not None
            assert client.attack_protection.brute_force_protection.get().enabled
            assert client.attack_protection.suspicious_ip_throttling.get().enabled
            assert client.attack_protection.bot_detection.get().bot_detection_level
            assert client.attack_protection.captcha.get().active_provider_id
            assert list(client.event_streams.list(take=100))
            assert list(client.network_acls.list(per_page=100, include_totals=True))
            assert client.branding.get().colors is not None
            assert client.prompts.get_settings().universal_login_experience == "new"
            assert client.log_streams.list()
            assert client.custom_domains.list()
            assert client.guardian.policies.list() == ["all-applications"]
            assert client.guardian.factors.list()
            assert client.emails.provider.get().name == "smtp"
            for name in TEMPLATES:
                assert client.email_templates.get(name).enabled
            actions = list(client.actions.list(per_page=100))
            assert actions and actions[0].dependencies and actions[0].supported_triggers
            assert client.actions.triggers.list().triggers
            assert list(client.actions.triggers.bindings.list("post-login", per_page=100))
            assert list(client.rules.list(per_page=100, include_totals=True))
            client.hooks.list(per_page=100, include_totals=True)
            search = f"type:(fp fu) AND hostname:{sim.info['domain'][:9]}*"
            page = client.logs.list(
                per_page=1,
                fields="type,hostname",
                include_fields=True,
                request_options={"additional_query_parameters": {"q": search}},
            )
            assert page.response.logs is not None
        stats = httpx.get(f"{sim.base_url}/_sim/stats", verify=sim.verify, timeout=30).json()
    refused = {
        path: codes
        for path, codes in stats["requests"].items()
        if path.startswith("/api/v2/") and any(code.startswith("4") for code in codes)
    }
    assert not refused, refused


def test_pagination_search_syntax_and_error_bodies_follow_auth0(tmp_path: Path) -> None:
    with _start(tmp_path, "large") as sim:
        token = _token(sim)
        limited = _token(sim, "otel-auth0-sim-logs-only", "otel-auth0-sim-logs-only-secret")
        with httpx.Client(base_url=sim.base_url, verify=sim.verify, timeout=30) as http:
            auth = {"Authorization": f"Bearer {token}"}
            assert len(http.get("/api/v2/clients", headers=auth).json()) == 50  # default page size
            envelope = http.get(
                "/api/v2/clients", params={"page": 1, "per_page": 100, "include_totals": "true"}, headers=auth
            ).json()
            # 150 applications and Auth0's global "All Applications" client
            assert (envelope["start"], envelope["limit"], envelope["total"]) == (100, 100, 151)
            assert len(envelope["clients"]) == 51
            _assert_auth0_error(http.get("/api/v2/clients", params={"per_page": 101}, headers=auth), 400)
            first = http.get("/api/v2/connections", params={"take": 50}, headers=auth).json()
            rest = http.get("/api/v2/connections", params={"take": 50, "from": first["next"]}, headers=auth)
            assert len(first["connections"]) == 50 and len(rest.json()["connections"]) == 10
            assert "next" not in rest.json()
            logs = {"per_page": 100, "page": 10, "q": "type:*"}
            _assert_auth0_error(http.get("/api/v2/logs", params=logs, headers=auth), 400)
            too_many = {"from": "1", "take": 101}
            _assert_auth0_error(http.get("/api/v2/logs", params=too_many, headers=auth), 400)
            assert len(http.get("/api/v2/logs", params={**logs, "page": 9}, headers=auth).json()) == 100
            q = 'type:("fp" OR limit_wc) AND NOT client_name:zzz'
            query = {"q": q, "per_page": 100, "sort": "date:1"}
            rows = http.get("/api/v2/logs", params={**query, "fields": "type,date"}, headers=auth).json()
            assert rows and all(set(r) == {"type", "date"} and r["type"] in ("fp", "limit_wc") for r in rows)
            excluded = {**query, "fields": "details", "include_fields": "false"}
            without = http.get("/api/v2/logs", params=excluded, headers=auth).json()
            assert without and all("details" not in r for r in without)
            _assert_auth0_error(http.get("/api/v2/logs", params={"q": "type:(fp"}, headers=auth), 400)
            _assert_auth0_error(http.get("/api/v2/clients", headers={"Authorization": "Bearer nope"}), 401)
            refused = _assert_auth0_error(
                http.get("/api/v2/clients", headers={"Authorization": f"Bearer {limited}"}), 403
            )
            assert "read:clients" in refused["message"] and refused["errorCode"] == "insufficient_scope"
            _assert_auth0_error(http.get("/api/v2/logs/900404", headers=auth), 404)
            http.post("/_sim/rate-limit", json={"limit": 1})
            answers = [http.get("/api/v2/rules", headers=auth) for _ in range(3)]
            limited_answer = next(a for a in answers if a.status_code == 429)
            _assert_auth0_error(limited_answer, 429)
            assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(
                limited_answer.headers
            )
