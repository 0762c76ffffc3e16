# ruff: noqa: E501  (the route table keeps one route per line)
"""Every Management API read Auth0's SDKs expose for tenant configuration is served as Auth0 serves it.

- each route answers 2xx (or the 403/404 Auth0 documents for that profile) and parses with
  ``auth0-python``'s response type, with no field that type does not declare;
- every record carries the fields Auth0's Management API reference always returns for it (our own
  table below, :data:`ROUTES`: the SDK's types are all-optional and cannot see a missing field);
- documented filters (``strategy``, ``name``, ``fields``/``include_fields``, ``is_global``,
  ``app_type``, ``is_first_party``, ``audience``, ``client_id``, ``identifiers``, ``enabled``,
  ``triggerId``, ``name_filter``) return exactly the matching records;
- unknown routes and methods answer Auth0's JSON error with the rate-limit headers; a stored event
  holding a lone surrogate is served, escaped as Auth0's JSON escapes it.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import auth0.management.types as sdk
import httpx
import pytest
from auth0.management.core.pydantic_utilities import parse_obj_as

from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.integration.test_sdk_contract import _undeclared

pytestmark = pytest.mark.integration
ORG = "org_0000000000000001"
WEB_APP = "app0000000000000000000000000001"
DB = "con_db0000000001"
ROLE = "rol_0000000000000001"


class Route(typing.NamedTuple):
    """``path`` with ``params``; records under ``key`` (``None``: the body is the record or a bare
    array); each record has every field of ``required``; ``sdk_type`` parses the body."""

    path: str
    params: dict[str, Any]
    key: str | None
    required: tuple[str, ...]
    sdk_type: Any
    minimum: int = 1


# Required fields from Auth0's Management API reference (the fields each response always carries).
ROUTES: tuple[Route, ...] = (
    Route("clients", {"is_global": "false", "include_totals": "true"}, "clients", ("client_id", "name", "app_type", "callbacks", "global", "jwt_configuration", "is_first_party"), sdk.ListClientsOffsetPaginatedResponseContent),
    Route("clients", {"is_global": "true", "include_totals": "true"}, "clients", ("client_id", "name", "global", "callbacks", "jwt_configuration"), sdk.ListClientsOffsetPaginatedResponseContent),
    Route(f"clients/{WEB_APP}", {}, None, ("client_id", "name", "app_type"), sdk.GetClientResponseContent),
    Route(f"clients/{WEB_APP}/credentials", {}, None, ("id", "name", "kid", "alg", "credential_type", "created_at"), typing.List[sdk.ClientCredential]),  # noqa: UP006
    Route("connections", {"take": 100}, "connections", ("id", "name", "strategy", "options"), sdk.ListConnectionsCheckpointPaginatedResponseContent),
    Route(f"connections/{DB}", {}, None, ("id", "name", "strategy", "options"), sdk.GetConnectionResponseContent),
    Route(f"connections/{DB}/clients", {}, "clients", ("client_id",), sdk.GetConnectionEnabledClientsResponseContent),
    Route("client-grants", {"take": 100}, "client_grants", ("id", "client_id", "audience", "scope"), sdk.ListClientGrantPaginatedResponseContent),
    Route("resource-servers", {"include_totals": "true"}, "resource_servers", ("id", "name", "identifier"), sdk.ListResourceServerOffsetPaginatedResponseContent),
    Route("rules", {"include_totals": "true"}, "rules", ("id", "name", "enabled", "order", "stage", "script"), sdk.ListRulesOffsetPaginatedResponseContent),
    Route("rules-configs", {}, None, ("key",), typing.List[sdk.RulesConfig]),  # noqa: UP006
    Route("roles", {"include_totals": "true"}, "roles", ("id", "name", "description"), sdk.ListRolesOffsetPaginatedResponseContent),
    Route(f"roles/{ROLE}", {}, None, ("id", "name", "description"), sdk.GetRoleResponseContent),
    Route(f"roles/{ROLE}/permissions", {"include_totals": "true"}, "permissions", ("permission_name", "description", "resource_server_name", "resource_server_identifier"), sdk.ListRolePermissionsOffsetPaginatedResponseContent),
    Route("organizations", {"take": 50}, "organizations", ("id", "name", "display_name"), sdk.ListOrganizationsPaginatedResponseContent),
    Route(f"organizations/{ORG}", {}, None, ("id", "name", "display_name"), sdk.GetOrganizationResponseContent),
    Route("organizations/name/acme", {}, None, ("id", "name"), sdk.GetOrganizationByNameResponseContent),
    Route(f"organizations/{ORG}/enabled_connections", {"include_totals": "true"}, "enabled_connections", ("connection_id", "assign_membership_on_login", "connection"), sdk.ListOrganizationConnectionsOffsetPaginatedResponseContent),
    Route(f"organizations/{ORG}/clients", {}, "clients", ("client_id", "use_for_member_access", "client"), sdk.ListOrganizationClientsResponseContent),
    Route(f"organizations/{ORG}/discovery-domains", {}, "domains", ("id", "domain", "status"), sdk.ListOrganizationDiscoveryDomainsResponseContent),
    Route(f"organizations/{ORG}/client-grants", {"include_totals": "true"}, "client_grants", (), sdk.ListOrganizationClientGrantsOffsetPaginatedResponseContent, 0),
    Route("forms", {"include_totals": "true"}, "forms", ("id", "name", "created_at", "updated_at"), sdk.ListFormsOffsetPaginatedResponseContent),
    Route("forms/ap_0000000000000001", {}, None, ("id", "name", "nodes", "start", "ending", "created_at", "updated_at"), sdk.GetFormResponseContent),
    Route("flows", {"include_totals": "true"}, "flows", ("id", "name", "created_at", "updated_at"), sdk.ListFlowsOffsetPaginatedResponseContent),
    Route("flows/af_0000000000000001", {}, None, ("id", "name", "actions", "created_at", "updated_at"), sdk.GetFlowResponseContent),
    Route("flows/vault/connections", {"include_totals": "true"}, "connections", ("id", "app_id", "name", "ready", "created_at", "updated_at", "fingerprint"), sdk.ListFlowsVaultConnectionsOffsetPaginatedResponseContent),
    Route("self-service-profiles", {"include_totals": "true"}, "self_service_profiles", ("id", "name", "user_attributes", "created_at", "updated_at"), sdk.ListSelfServiceProfilesPaginatedResponseContent),
    Route("branding/phone/providers", {}, "providers", ("id", "name", "channel", "disabled", "configuration"), sdk.ListBrandingPhoneProvidersResponseContent),
    Route("branding/phone/templates", {}, "templates", ("id", "type", "content", "disabled", "customizable"), sdk.ListPhoneTemplatesResponseContent),
    Route("prompts/login/partials", {}, None, ("login",), sdk.GetPartialsResponseContent),
    Route("guardian/factors/sms/templates", {}, None, ("enrollment_message", "verification_message"), sdk.GetGuardianFactorSmsTemplatesResponseContent),
    Route("guardian/factors/sms/providers/twilio", {}, None, ("from", "messaging_service_sid", "sid"), sdk.GetGuardianFactorsProviderSmsTwilioResponseContent),
    Route("guardian/factors/push-notification/providers/sns", {}, None, ("aws_access_key_id", "aws_region", "sns_apns_platform_application_arn", "sns_gcm_platform_application_arn"), sdk.GetGuardianFactorsProviderSnsResponseContent),
    Route("guardian/factors/phone/message-types", {}, None, ("message_types",), sdk.GetGuardianFactorPhoneMessageTypesResponseContent),
    Route("actions/actions", {}, "actions", ("id", "name", "supported_triggers", "code", "runtime", "status"), sdk.ListActionsPaginatedResponseContent),
    Route("actions/modules", {}, "modules", ("id", "name", "code", "created_at", "updated_at"), sdk.GetActionModulesResponseContent),
    Route("user-attribute-profiles", {}, "user_attribute_profiles", ("id", "name", "user_id", "user_attributes"), sdk.ListUserAttributeProfilesPaginatedResponseContent),
    Route("connection-profiles", {}, "connection_profiles", ("id", "name"), sdk.ListConnectionProfilesPaginatedResponseContent),
    Route("token-exchange-profiles", {}, "token_exchange_profiles", ("id", "name", "subject_token_type", "action_id", "type"), sdk.ListTokenExchangeProfileResponseContent),
    Route("supplemental-signals", {}, None, ("akamai_enabled",), sdk.GetSupplementalSignalsResponseContent),
    Route("rate-limit-policies", {}, "rate_limit_policies", ("id", "resource", "consumer", "consumer_selector", "configuration"), sdk.ListRateLimitPoliciesPaginatedResponseContent),
    Route("connections-directory-provisionings", {}, "directory_provisionings", (), sdk.ListDirectoryProvisioningsResponseContent, 0),
    Route("risk-assessments/settings", {}, None, ("enabled",), sdk.GetRiskAssessmentsSettingsResponseContent),
    Route("risk-assessments/settings/new-device", {}, None, ("remember_for",), sdk.GetRiskAssessmentsSettingsNewDeviceResponseContent),
    Route("log-streams", {}, None, ("id", "name", "type", "status", "sink"), typing.List[sdk.LogStreamResponseSchema]),  # noqa: UP006
    Route("custom-domains", {}, None, ("custom_domain_id", "domain", "primary", "status", "type"), sdk.ListCustomDomainsResponseContent),
    Route("anomaly/captchas", {}, None, ("selected", "policy", "passwordless_policy", "password_reset_policy", "providers", "allowlist"), dict),
)  # fmt: skip
PLAN_REFUSED = {"essentials": {"anomaly/captchas"}}
# Served empty on that profile: the misconfigured web app authenticates with a shared secret.
PROFILE_EMPTY = {"misconfigured": {f"clients/{WEB_APP}/credentials"}}


def _start(tmp_path: Path, profile: str) -> Any:
    return running_simulator(
        "--profile",
        profile,
        "--events-per-second",
        "0",
        "--mgmt-rate-limit",
        "1000",
        "--state-dir",
        str(tmp_path / "sim"),
        "--seed",
        "7",
        timeout=90,
    )


def _client(sim: SimulatorHandle) -> httpx.Client:
    info = sim.info
    token = httpx.post(
        f"{sim.base_url}/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
            "audience": f"https://{info['domain']}/api/v2/",
        },
        verify=sim.verify,
        timeout=30,
    ).json()["access_token"]
    return httpx.Client(
        base_url=f"{sim.base_url}/api/v2/",
        verify=sim.verify,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _records(body: Any, key: str | None) -> list[dict[str, Any]]:
    value = body[key] if key is not None else body
    if (
        isinstance(value, dict)
        and key is None
        and not any(isinstance(v, dict | list) for v in value.values())
    ):
        return [value]
    return value if isinstance(value, list) else [value]


def _auth0_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(response.headers)
    body = response.json()
    assert set(body) == {"statusCode", "error", "message", "errorCode"} and body["statusCode"] == status
    return dict(body)


@pytest.mark.parametrize("profile", ["good", "misconfigured", "essentials"])
def test_every_configuration_read_is_served_with_its_required_fields(tmp_path: Path, profile: str) -> None:
    with _start(tmp_path, profile) as sim, _client(sim) as http:
        problems = []
        for route in ROUTES:
            response = http.get(route.path, params=route.params)
            if route.path in PLAN_REFUSED.get(profile, set()):
                assert "upgrade your subscription" in _auth0_error(response, 403)["message"]
                continue
            if response.status_code != 200:
                problems.append(f"{route.path}: {response.status_code} {response.text[:200]}")
                continue
            body = response.json()
            parsed = parse_obj_as(route.sdk_type, body)
            undeclared = set(_undeclared(parsed))
            if undeclared:
                problems.append(f"{route.path}: fields the SDK does not declare: {sorted(undeclared)}")
            records = _records(body, route.key)
            minimum = 0 if route.path in PROFILE_EMPTY.get(profile, set()) else route.minimum
            if len(records) < minimum:
                problems.append(f"{route.path}: {len(records)} records")
            for record in records:
                missing = [f for f in route.required if f not in record]
                if route.path == "clients" and record.get("global"):
                    missing = [f for f in missing if f != "app_type"]  # the global client has no type
                if missing:
                    problems.append(f"{route.path}: {record.get('id') or record.get('name')} lacks {missing}")
        hooks = http.get("hooks").json()
        for hook in hooks:  # misconfigured has one: read it by id, with its code and secrets
            one = http.get(f"hooks/{hook['id']}").json()
            assert {"id", "name", "script", "triggerId", "enabled", "dependencies"} <= set(one), one
            assert http.get(f"hooks/{hook['id']}/secrets").status_code == 200
        assert bool(hooks) == (profile == "misconfigured")
    assert not problems, "\n".join(problems)


def _all(http: httpx.Client, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every record of a checkpoint (``take``) or offset (``page``) list."""
    rows: list[dict[str, Any]] = []
    if key in ("connections", "client_grants"):
        cursor: dict[str, Any] = {"take": 100}
        while True:
            body = http.get(path, params={**params, **cursor}).json()
            rows += body[key]
            if "next" not in body:
                return rows
            cursor["from"] = body["next"]
    page = 0
    while True:
        chunk = http.get(path, params={**params, "page": page, "per_page": 100}).json()
        chunk = chunk[key] if isinstance(chunk, dict) else chunk
        rows += chunk
        if len(chunk) < 100:
            return rows
        page += 1


def test_filters_return_exactly_the_matching_records(tmp_path: Path) -> None:
    with _start(tmp_path, "large") as sim, _client(sim) as http:
        clients = _all(http, "clients", "clients")
        connections = _all(http, "connections", "connections")
        grants = _all(http, "client-grants", "client_grants")
        apis = _all(http, "resource-servers", "resource_servers")
        assert len(clients) == 151 and len(connections) == 60 and len(apis) == 40

        def ids(rows: list[dict[str, Any]], key: str = "id") -> list[str]:
            return [str(r[key]) for r in rows]

        cases = [
            (_all(http, "clients", "clients", is_global="true"), [c for c in clients if c["global"]], "client_id"),
            (_all(http, "clients", "clients", is_global="false"), [c for c in clients if not c["global"]], "client_id"),
            (
                _all(http, "clients", "clients", app_type="spa,native"),
                [c for c in clients if c.get("app_type") in ("spa", "native")],
                "client_id",
            ),
            (_all(http, "clients", "clients", is_first_party="false"), [], "client_id"),
            (
                _all(http, "connections", "connections", strategy="auth0"),
                [c for c in connections if c["strategy"] == "auth0"],
                "id",
            ),
            (
                _all(http, "connections", "connections", strategy=["google-oauth2", "oidc"]),
                [c for c in connections if c["strategy"] in ("google-oauth2", "oidc")],
                "id",
            ),
            (_all(http, "connections", "connections", name="partner-idp"), [c for c in connections if c["name"] == "partner-idp"], "id"),
            (_all(http, "client-grants", "client_grants", client_id=grants[0]["client_id"]), [g for g in grants if g["client_id"] == grants[0]["client_id"]], "id"),
            (_all(http, "client-grants", "client_grants", audience="https://nowhere.test/"), [], "id"),
            (
                _all(http, "resource-servers", "resource_servers", identifiers=[apis[1]["identifier"], apis[2]["identifier"]]),
                apis[1:3],
                "id",
            ),
            (_all(http, "rules", "rules", enabled="true"), [r for r in _all(http, "rules", "rules") if r["enabled"]], "id"),
            (_all(http, "roles", "roles", name_filter="SUPP"), [r for r in _all(http, "roles", "roles") if "supp" in r["name"]], "id"),
        ]  # fmt: skip
        for served, expected, key in cases:
            assert ids(served, key) == ids(expected, key) and (served or not expected)
        assert len(cases[0][0]) == 1 and cases[0][0][0]["name"] == "All Applications"
        assert len(cases[4][0]) == 58  # the database connection and its 57 copies, nothing social
        triggered = http.get("actions/actions", params={"triggerId": "pre-user-registration"}).json()[
            "actions"
        ]
        assert [a["name"] for a in triggered] == ["signup-domain-policy"]
        assert http.get("actions/actions", params={"installed": "true"}).json()["actions"] == []
        only = http.get("clients", params={"fields": "client_id,name", "include_fields": "true"}).json()
        assert only and all(set(c) == {"client_id", "name"} for c in only)
        without = http.get(
            "connections", params={"fields": "options", "include_fields": "false", "take": 100}
        )
        assert all("options" not in c and "strategy" in c for c in without.json()["connections"])
        one = http.get(f"clients/{WEB_APP}", params={"fields": "name"}).json()
        assert one == {"name": "Example web app"}
        bad = http.get("clients", params={"is_global": "maybe"})
        assert _auth0_error(bad, 400)["errorCode"] == "invalid_query_string"


def test_unknown_routes_answer_auth0s_json_error_with_rate_limit_headers(tmp_path: Path) -> None:
    with _start(tmp_path, "good") as sim, _client(sim) as http:
        _auth0_error(http.get("no-such-resource"), 404)
        _auth0_error(http.get("clients/not-a-client"), 404)
        _auth0_error(http.get("roles/rol_missing/permissions"), 404)
        _auth0_error(http.delete("tenants/settings"), 405)
        outside = httpx.get(f"{sim.base_url}/no/such/page", verify=sim.verify, timeout=30)
        _auth0_error(outside, 404)


def test_a_stored_lone_surrogate_is_served_escaped_as_auth0s_json(tmp_path: Path) -> None:
    with _start(tmp_path, "good") as sim, _client(sim) as http:
        raw = b'{"events": [{"type": "fp", "description": "bad \\ud83d name", "user_name": "x\\udfff"}]}'
        stored = httpx.post(
            f"{sim.base_url}/_sim/events",
            content=raw,
            headers={"content-type": "application/json"},
            verify=sim.verify,
            timeout=30,
        )
        log_id = stored.json()["log_ids"][0]
        for response in (http.get(f"logs/{log_id}"), http.get("logs", params={"from": "0", "take": 100})):
            assert response.status_code == 200, response.text
            assert b'"bad \\ud83d name"' in response.content and b'"x\\udfff"' in response.content
        assert "\ud83d" in http.get(f"logs/{log_id}").json()["description"]
        again = http.get("logs", params={"q": "type:fp", "per_page": 100})
        assert again.status_code == 200 and log_id in [row["log_id"] for row in again.json()]
