"""Every production check on a passing (``good``) and a failing (``misconfigured``, or a targeted change)
tenant snapshot, with its message; refused reads; the helpers that scan code and templates."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessConfig
from otel_auth0.readiness.checks import CHECKS, READS, run_check
from otel_auth0.readiness.checks.actions import dependency_problem, enumerating_denials
from otel_auth0.readiness.checks.common import secret_literals, unsafe_url
from otel_auth0.readiness.checks.tenant import unescaped_outputs
from otel_auth0_sim.profiles import tenant_config

REPO = Path(__file__).resolve().parents[3]
FEATURE = REPO / "otel_auth0" / "readiness" / "features" / "production_checks.feature"
ANCHOR_VALIDATORS = 61  # auth0-checkmate, ../shared/reference/auth0-checkmate-validators.md


def snapshot(profile: str, change: Callable[[dict[str, Any]], None] | None = None) -> TenantSnapshot:
    data: dict[str, Any] = copy.deepcopy(tenant_config(profile, "https://tenant.test"))
    if change is not None:
        change(data)
    return TenantSnapshot(**{f.name: data[f.name] for f in fields(TenantSnapshot) if f.name in data})


#: what the misconfigured profile shows for each check it is built to fail
MISCONFIGURED = {
    "idtoken_api2_off": "flags.enable_idtoken_api2 is true",
    "legacy_profile_off": "flags.enable_legacy_profile is true",
    "dynamic_client_registration_off": "flags.enable_dynamic_client_registration is true",
    "clickjack_protection": "flags.disable_clickjack_protection_headers is true",
    "support_contact": "missing support_url",
    "tenant_login_uri": "default_redirection_uri is not set",
    "error_page_escaped": "unescaped Liquid output: {{ error_description }}",
    "session_lifetimes": "persistent cookie: session 720 h, idle 168 h",
    "default_audience_unset": "default_audience is https://api.example-sim.test/",
    "default_directory": "default_directory Legacy-Users is not a database connection",
    "sandbox_version": "tenant sandbox_version=18",
    "universal_login": "universal_login_experience is classic",
    "legacy_ro_grants_off": "legacy ro grants enabled (tenant flag True, applications: Example web app)",
    "no_localhost_urls": "http://localhost:3000/callback",
    "app_callbacks_secure": "Example web app.callbacks=http://localhost:3000/callback (localhost)",
    "app_origins_secure": "Example web app.web_origins=https://*.example-sim.test (wildcard)",
    "app_logout_urls_secure": "allowed_logout_urls=http://app.example-sim.test/ (http scheme)",
    "logout_urls": "no logout URLs: Example SPA",
    "app_grant_types": "Example web app: implicit",
    "app_token_endpoint_auth": "shared-secret client authentication: Example web app=client_secret_post",
    "app_pkce_enforced": "no bound post-login Action enforces PKCE for Example SPA",
    "refresh_token_rotation": "Example web app (rotation_type=non-rotating, expiration_type=non-expiring)",
    "rs256": "client Example web app=HS256",
    "cross_origin_auth_off": "cross-origin authentication on: Example web app",
    "application_login_uri": "no login URI: Example web app",
    "backchannel_logout": "no https back-channel logout URL: Example web app",
    "app_par_required": "PAR not required: Example web app",
    "app_jar_required": "JAR not required or no credentials: Example web app",
    "app_sender_constrained": "tokens not sender-constrained: Example web app",
    "mgmt_api_backend_only": "Management API granted to user-facing applications: Example web app (2 scopes)",
    "db_password_policy": "Username-Password-Authentication (passwordPolicy=low)",
    "db_password_complexity": "Username-Password-Authentication (min_length=8)",
    "db_password_history": "password_history enable=False size=0",
    "db_password_dictionary": "password_dictionary off",
    "db_password_no_personal_info": "personal data allowed",
    "db_email_verification": "email verification_method=none",
    "db_passkeys": "passkeys off",
    "db_custom_scripts_secrets": "hard-coded secrets in Username-Password-Authentication.login",
    "db_external_store_import": "every login depends on the external store: Username-Password-Authentication",
    "connections_not_promoted": "promoted to domain level: Username-Password-Authentication",
    "social_dev_keys": "using Auth0 development keys: google-oauth2",
    "actions_node_runtime": "outdated runtimes: add-roles=node16",
    "actions_no_hardcoded_secrets": "hard-coded secrets in add-roles",
    "actions_dependencies": "add-roles: axios@0.21.1 has a known advisory (fixed in 1.6.0)",
    "actions_no_user_enumeration": "signup-domain-policy: deny('domain_not_allowed', 'An account with this",
    "actions_password_reset_mfa": "password-reset-post-challenge has no action challenging MFA",
    "rules_migrated": "enabled rules: old-rule",
    "hooks_migrated": "enabled hooks: pre-registration",
    "brute_force_protection": "brute-force-protection without the block shield (shields: user_notification)",
    "suspicious_ip_throttling": "suspicious-ip-throttling disabled",
    "breached_password_detection": "stage pre-user-registration does not block; stage pre-change-password",
    "bot_detection": "challenge_password_policy=never; allowlist=203.0.113.5",
    "mfa_strong_factor": "only weak factors enabled: sms, email",
    "mfa_policy": "factors enabled but policy is never and no post-login Action enforces MFA",
    "mfa_phone_provider": "phone factor enabled with provider auth0",
    "api_signing_alg": "API Example API=HS256",
    "api_token_lifetime": "long-lived access tokens: Example API=2592000s",
    "api_rbac": "Example API (RBAC off)",
    "api_sender_constrained": "bearer tokens accepted by Example API",
    "api_rar_enforced": "RAR without step-up: Payments API",
    "api_token_encryption": "incomplete token encryption: Payments API",
    "mgmt_api_user_access": "Management API user policy is allow_all",
    "canonical_domain_blocked": "custom domain login.example-sim.test ready but the canonical domain still",
    "network_acl": "no active network ACL (0 configured)",
    "mgmt_api_acl": "no active network ACL covers the Management API",
    "email_provider": "no provider configured: Auth0's built-in test provider is used",
    "email_templates": "verify_email not customised, reset_email disabled",
    "log_streaming": "otel-auth0=suspended",
    "log_streams_healthy": "log streams not delivering: otel-auth0=suspended",
    "event_streams_healthy": "event streams not enabled: user-lifecycle=disabled",
}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value

    return change


#: checks the misconfigured tenant passes (it cannot fail every check at once), failed by a targeted change
TARGETED = {
    "legacy_tokeninfo_off": (_set("settings.flags.allow_legacy_tokeninfo_endpoint", True), "is true"),
    "legacy_delegation_off": (
        _set("clients.0.grant_types", ["http://auth0.com/oauth/legacy/grant-type/delegation"]),
        "delegation enabled (tenant flag False, applications: Example web app)",
    ),
    "custom_error_page": (_set("settings.error_page", {}), "error_page has no url or html"),
    "custom_domain": (_set("custom_domains.0.status", "pending_verification"), "pending_verification"),
    "mfa_enabled": (_set("guardian_factors", []), "no MFA factor enabled"),
}


def test_the_check_count_is_at_least_the_anchors() -> None:
    assert len(CHECKS) >= ANCHOR_VALIDATORS
    assert set(MISCONFIGURED) | set(TARGETED) == set(CHECKS)


@pytest.mark.parametrize("id", sorted(CHECKS))
def test_good_tenant_passes_with_evidence(id: str) -> None:
    result = run_check(id, snapshot("good"), ReadinessConfig())
    assert result.status == "pass", result.message
    assert (
        result.message.startswith(f"{CHECKS[id].title}: ok (")
        and len(result.message) > len(CHECKS[id].title) + 8
    )


@pytest.mark.parametrize("id", sorted(MISCONFIGURED))
def test_misconfigured_tenant_fails_with_what_and_fix(id: str) -> None:
    result = run_check(id, snapshot("misconfigured"), ReadinessConfig())
    assert result.status == "fail", result.message
    assert MISCONFIGURED[id] in result.message
    assert result.message.endswith(f"Fix: {CHECKS[id].fix}") and "\n" not in result.message


@pytest.mark.parametrize("id", sorted(TARGETED))
def test_targeted_change_fails(id: str) -> None:
    change, text = TARGETED[id]
    assert run_check(id, snapshot("misconfigured"), ReadinessConfig()).status == "pass"
    result = run_check(id, snapshot("good", change), ReadinessConfig())
    assert result.status == "fail" and text in result.message, result.message


def test_mfa_policy_passes_through_a_post_login_action() -> None:
    def enforce_by_action(data: dict[str, Any]) -> None:
        data["guardian_policies"] = []
        data["actions"][1]["code"] = (
            "exports.onExecutePostLogin = async (e, api) => { api.multifactor.enable('any') }"
        )

    result = run_check("mfa_policy", snapshot("good", enforce_by_action), ReadinessConfig())
    assert result.status == "pass" and "post-login Action enforce-pkce enforces MFA" in result.message
    unbound = snapshot("good", enforce_by_action)
    unbound.action_bindings["post-login"] = []
    assert run_check("mfa_policy", unbound, ReadinessConfig()).status == "fail"


def test_breached_password_disabled_and_missing_bot_detection() -> None:
    def off(data: dict[str, Any]) -> None:
        data["attack_protection"]["breached-password-detection"]["enabled"] = False
        del data["attack_protection"]["bot-detection"]

    tenant = snapshot("good", off)
    assert (
        "breached-password-detection disabled"
        in run_check("breached_password_detection", tenant, ReadinessConfig()).message
    )
    assert "not available" in run_check("bot_detection", tenant, ReadinessConfig()).message


def test_a_refused_read_fails_only_the_checks_that_need_it_naming_the_scope() -> None:
    tenant = snapshot("good")
    tenant.errors["/api/v2/client-grants"] = (
        "403 Forbidden: Insufficient scope, expected any of: read:client_grants"
    )
    results = {id: run_check(id, tenant, ReadinessConfig()) for id in CHECKS}
    failed = {id for id, r in results.items() if r.status == "fail"}
    assert (
        failed == {id for id, c in CHECKS.items() if "client_grants" in c.reads} == {"mgmt_api_backend_only"}
    )
    message = results["mgmt_api_backend_only"].message
    assert "refused /api/v2/client-grants" in message and "missing scope read:client_grants" in message
    assert message.endswith("Fix: grant the readiness application read:client_grants")


def test_a_refused_prefix_read_names_its_scope() -> None:
    tenant = snapshot("good")
    tenant.errors["/api/v2/attack-protection/bot-detection"] = "403 Forbidden"
    failed = {id for id in CHECKS if run_check(id, tenant, ReadinessConfig()).status == "fail"}
    assert failed == {id for id, c in CHECKS.items() if "attack_protection" in c.reads}
    assert (
        "missing scope read:attack_protection"
        in run_check("bot_detection", tenant, ReadinessConfig()).message
    )


def test_every_check_declares_known_reads_and_a_fix() -> None:
    for check in CHECKS.values():
        assert check.reads and set(check.reads) <= set(READS) and check.fix, check.id
        assert check.checked.startswith("GET /api/v2/") and "(read:" in check.checked


#: production checks run by email.feature's scenarios instead (each check is one scenario, counted once)
EMAIL_FEATURE_CHECKS = {"email_provider", "email_templates"}


def test_feature_lists_every_check_under_its_severity() -> None:
    """Every check is a scenario exactly once: in production_checks.feature, or (the email checks) in
    email.feature; listing them in both counted one failure twice in the report."""
    text = FEATURE.read_text()
    critical, recommended = text.split("@recommended")[0], text.split("@recommended")[1].split("@manual")[0]
    rows = {
        severity: {line.strip(" |") for line in part.splitlines() if line.strip().startswith("|")} - {"check"}
        for severity, part in (("critical", critical), ("recommended", recommended))
    }
    for severity in ("critical", "recommended"):
        expected = {id for id, c in CHECKS.items() if c.severity == severity} - EMAIL_FEATURE_CHECKS
        assert rows[severity] == expected, severity
    email = (FEATURE.parent / "email.feature").read_text()
    assert 'the production check "email_templates" passes' in email
    assert "a custom email provider is configured" in email  # steps/email.py runs check email_provider


def test_docs_table_has_every_check() -> None:
    doc = (REPO / "docs" / "readiness.md").read_text()
    for check in CHECKS.values():
        row = next((line for line in doc.splitlines() if line.startswith(f"| `{check.id}` |")), None)
        assert row is not None, check.id
        assert check.severity in row and ", ".join(check.scopes) in row


@pytest.mark.parametrize(
    ("code", "found"),
    [
        ('const apiKey = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";', 1),  # one secret, shown once
        ("const client_secret = 'abcdefgh12345';", 1),
        ("headers: { Authorization: `Bearer ${event.secrets.TOKEN}` }", 0),
        ("const password = configuration.DB_PASSWORD;", 0),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE", 1),
        ("const short = { token: 'abc' };", 0),
    ],
)
def test_secret_literals(code: str, found: int) -> None:
    hits = secret_literals(code)
    assert len(hits) == found
    assert all("4eC39HqLyjWDarjtT1zdp7dc" not in hit for hit in hits)  # reports do not repeat the secret


def test_unescaped_liquid_outputs() -> None:
    template = "{{ a | escape }} {{ b }} {{ c | upcase }} {{ d|h }} {{ e | escape | raw }}"
    assert unescaped_outputs(template) == ["{{ b }}", "{{ c | upcase }}", "{{ e | escape | raw }}"]


@pytest.mark.parametrize(
    ("dep", "problem"),
    [
        ({"name": "axios", "version": "1.7.7"}, None),
        ({"name": "axios", "version": "^1.7.7"}, "not pinned"),
        ({"name": "lodash", "version": "latest"}, "not pinned"),
        ({"name": "jsonwebtoken", "version": "8.5.1"}, "known advisory (fixed in 9.0.0)"),
        ({"name": "left-pad", "version": "1.3.0"}, None),
    ],
)
def test_dependency_problem(dep: dict[str, str], problem: str | None) -> None:
    found = dependency_problem(dep)
    assert found is None if problem is None else problem in str(found)


@pytest.mark.parametrize(
    ("url", "native", "why"),
    [
        ("https://app.example.com/cb", False, None),
        ("https://*.example.com", False, "wildcard"),
        ("http://app.example.com", False, "http scheme"),
        ("http://localhost:3000", False, "localhost"),
        ("com.example.app://callback", True, None),
        ("com.example.app://callback", False, "com.example.app scheme"),
    ],
)
def test_unsafe_url(url: str, native: bool, why: str | None) -> None:
    assert unsafe_url(url, allow_custom_scheme=native) == why


def test_enumerating_denials() -> None:
    code = """
    if (taken) { api.access.deny('exists', 'This email is already registered'); }
    api.access.deny("invalid_domain", "We could not create your account.");
    api.access.deny(
        'dup', `Account ${email} exists`);
    """
    assert enumerating_denials(code) == [
        "'exists', 'This email is already registered'",
        "'dup', `Account ${email} exists`",
    ]
