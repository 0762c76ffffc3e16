"""Auth0's Dashboard "Run Readiness Check" items, verified through the Management API.

Each check is a pure function of a :class:`TenantSnapshot` and the readiness configuration; the
registry :data:`CHECKS` maps a check id (used in ``production_checks.feature``) to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessConfig
from otel_auth0.readiness.result import CheckResult, failed, passed, skipped

Severity = Literal["critical", "recommended"]
CheckFn = Callable[[TenantSnapshot, ReadinessConfig], CheckResult]

LEGACY_RO = (
    "http://auth0.com/oauth/legacy/grant-type/ro",
    "http://auth0.com/oauth/legacy/grant-type/ro/jwt-bearer",
)
LEGACY_DELEGATION = "http://auth0.com/oauth/legacy/grant-type/delegation"
LOCAL_HOSTS = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^/@]*@)?(localhost|127\.\d+\.\d+\.\d+|\[::1\])(?:[:/]|$)", re.I
)
SOCIAL_STRATEGIES = frozenset(
    ["google-oauth2", "facebook", "github", "windowslive", "linkedin", "twitter", "apple", "amazon"]
)
PHONE_PROVIDERS_OK = ("twilio", "phone-message-hook")
INTERACTIVE_APP_TYPES = ("spa", "regular_web", "native")


@dataclass(frozen=True)
class ProductionCheck:
    """One registered check."""

    id: str
    title: str
    severity: Severity
    run: CheckFn


CHECKS: dict[str, ProductionCheck] = {}


def check(id: str, title: str, severity: Severity) -> Callable[[CheckFn], CheckFn]:
    """Register a production check under ``id``."""

    def register(fn: CheckFn) -> CheckFn:
        CHECKS[id] = ProductionCheck(id, title, severity, fn)
        return fn

    return register


def run_check(id: str, snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """Run the check registered as ``id`` (an unknown id is a programming error in the feature)."""
    if id not in CHECKS:
        raise KeyError(f"unknown production check {id!r}; known: {', '.join(sorted(CHECKS))}")
    return CHECKS[id].run(snapshot, config)


def _flags(snapshot: TenantSnapshot) -> dict[str, Any]:
    flags = snapshot.settings.get("flags")
    return flags if isinstance(flags, dict) else {}


def _names(rows: Iterable[dict[str, Any]]) -> list[str]:
    return [str(row.get("name") or row.get("client_id") or row.get("id") or "?") for row in rows]


def _flag_off(id: str, title: str, flag: str, fix: str, snapshot: TenantSnapshot) -> CheckResult:
    checked = f"GET /api/v2/tenants/settings flags.{flag}"
    if _flags(snapshot).get(flag):
        return failed(id, title, checked, f"flags.{flag} is true", fix)
    return passed(id, title, checked, f"flags.{flag} is off")


@check("idtoken_api2_off", "ID tokens are not accepted for Management API v2", "critical")
def idtoken_api2_off(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """``flags.enable_idtoken_api2`` is false."""
    return _flag_off(
        "idtoken_api2_off",
        "ID tokens are not accepted for Management API v2",
        "enable_idtoken_api2",
        "turn off Tenant Settings > Advanced > 'Allow ID Tokens for Management API v2 Authentication'",
        snapshot,
    )


def _clients_with_grant(snapshot: TenantSnapshot, prefixes: tuple[str, ...]) -> list[str]:
    return _names(
        c for c in snapshot.clients if any(str(g).startswith(prefixes) for g in c.get("grant_types") or [])
    )


@check("legacy_ro_grants_off", "Legacy resource-owner grants are off", "critical")
def legacy_ro_grants_off(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """Tenant flag off and no application uses the legacy ``ro`` grants."""
    title = "Legacy resource-owner grants are off"
    checked = "tenant flags.allow_legacy_ro_grant_types; clients[].grant_types"
    fix = "turn off allow_legacy_ro_grant_types and remove the legacy ro grant from these applications"
    clients = _clients_with_grant(snapshot, LEGACY_RO)
    flag = bool(_flags(snapshot).get("allow_legacy_ro_grant_types"))
    if flag or clients:
        return failed(
            "legacy_ro_grants_off",
            title,
            checked,
            f"legacy ro grants enabled (tenant flag {flag}, applications: {', '.join(clients) or 'none'})",
            fix,
        )
    return passed("legacy_ro_grants_off", title, checked, "flag off, no application uses them")


@check("legacy_tokeninfo_off", "Legacy /tokeninfo endpoint is off", "critical")
def legacy_tokeninfo_off(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """``flags.allow_legacy_tokeninfo_endpoint`` is false."""
    return _flag_off(
        "legacy_tokeninfo_off",
        "Legacy /tokeninfo endpoint is off",
        "allow_legacy_tokeninfo_endpoint",
        "set flags.allow_legacy_tokeninfo_endpoint to false (PATCH /api/v2/tenants/settings)",
        snapshot,
    )


@check("legacy_delegation_off", "Legacy delegation grants are off", "critical")
def legacy_delegation_off(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """Tenant flag off and no application uses delegation."""
    title = "Legacy delegation grants are off"
    clients = _clients_with_grant(snapshot, (LEGACY_DELEGATION,))
    flag = bool(_flags(snapshot).get("allow_legacy_delegation_grant_types"))
    checked = "tenant flags.allow_legacy_delegation_grant_types; clients[].grant_types"
    if flag or clients:
        return failed(
            "legacy_delegation_off",
            title,
            checked,
            f"delegation enabled (tenant flag {flag}, applications: {', '.join(clients) or 'none'})",
            "turn off allow_legacy_delegation_grant_types and remove the delegation grant from applications",
        )
    return passed("legacy_delegation_off", title, checked, "flag off, no application uses it")


@check("no_localhost_urls", "No application allows localhost callbacks or origins", "critical")
def no_localhost_urls(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """``callbacks``, ``allowed_origins`` and ``web_origins`` name no loopback host."""
    title = "No application allows localhost callbacks or origins"
    found = [
        f"{_names([c])[0]}.{key}={url}"
        for c in snapshot.clients
        for key in ("callbacks", "allowed_origins", "web_origins")
        for url in c.get(key) or []
        if LOCAL_HOSTS.match(str(url))
    ]
    checked = "GET /api/v2/clients callbacks, allowed_origins, web_origins"
    if found:
        return failed(
            "no_localhost_urls",
            title,
            checked,
            f"localhost URLs found: {', '.join(found[:5])}{' …' if len(found) > 5 else ''}",
            "remove localhost / 127.0.0.1 URLs from production applications (keep them in a dev tenant)",
        )
    return passed("no_localhost_urls", title, checked, f"{len(snapshot.clients)} applications checked")


@check("email_provider", "A custom email provider is configured", "critical")
def email_provider(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """``GET /api/v2/emails/provider`` answers 200 with ``enabled: true``."""
    title = "A custom email provider is configured"
    checked = "GET /api/v2/emails/provider"
    provider = snapshot.email_provider
    fix = (
        "configure your own email provider (Branding > Email Provider); the built-in one is for testing only"
    )
    if provider is None:
        return failed(
            "email_provider",
            title,
            checked,
            "no provider configured: Auth0's built-in test provider is used",
            fix,
        )
    if not provider.get("enabled", True):
        return failed("email_provider", title, checked, f"provider {provider.get('name')} is disabled", fix)
    return passed("email_provider", title, checked, f"provider {provider.get('name')} enabled")


def _none_enabled(id: str, title: str, kind: str, rows: list[dict[str, Any]]) -> CheckResult:
    enabled = _names(r for r in rows if r.get("enabled"))
    checked = f"GET /api/v2/{kind}"
    if enabled:
        return failed(
            id,
            title,
            checked,
            f"enabled {kind}: {', '.join(enabled)}",
            f"migrate these {kind} to Actions and disable them",
        )
    return passed(id, title, checked, f"no enabled {kind}")


@check("rules_migrated", "Rules are migrated to Actions", "critical")
def rules_migrated(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """No enabled rule."""
    return _none_enabled("rules_migrated", "Rules are migrated to Actions", "rules", snapshot.rules)


@check("hooks_migrated", "Hooks are migrated to Actions", "critical")
def hooks_migrated(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """No enabled hook."""
    return _none_enabled("hooks_migrated", "Hooks are migrated to Actions", "hooks", snapshot.hooks)


def _major(runtime: str) -> str:
    return "".join(ch for ch in runtime if ch.isdigit())


@check("actions_node_runtime", "Actions and the tenant use a recommended Node.js runtime", "critical")
def actions_node_runtime(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """Every action's ``runtime`` and the tenant's ``sandbox_version`` are recommended."""
    title = "Actions and the tenant use a recommended Node.js runtime"
    wanted = {_major(r) for r in config.recommended_node_runtimes}
    old = [
        f"{_names([a])[0]}={a.get('runtime')}"
        for a in snapshot.actions
        if _major(str(a.get("runtime", ""))) not in wanted
    ]
    sandbox = str(snapshot.settings.get("sandbox_version", ""))
    if sandbox and _major(sandbox) not in wanted:
        old.append(f"tenant sandbox_version={sandbox}")
    checked = "GET /api/v2/actions/actions runtime; tenant sandbox_version"
    if old:
        return failed(
            "actions_node_runtime",
            title,
            checked,
            f"outdated runtimes: {', '.join(old)}",
            f"upgrade to {', '.join(config.recommended_node_runtimes)} and redeploy the actions",
        )
    return passed(
        "actions_node_runtime",
        title,
        checked,
        f"{len(snapshot.actions)} actions on {', '.join(sorted(wanted))}",
    )


@check("mfa_phone_provider", "MFA by phone uses Twilio or a custom provider", "critical")
def mfa_phone_provider(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """When the SMS/phone factor is on, its provider is not Auth0's own."""
    title = "MFA by phone uses Twilio or a custom provider"
    checked = "GET /api/v2/guardian/factors; /guardian/factors/phone/selected-provider"
    phone_on = any(f.get("name") in ("sms", "phone") and f.get("enabled") for f in snapshot.guardian_factors)
    if not phone_on:
        return passed("mfa_phone_provider", title, checked, "phone factor not enabled")
    provider = (snapshot.phone_provider or {}).get("provider", "auth0")
    if provider not in PHONE_PROVIDERS_OK:
        return failed(
            "mfa_phone_provider",
            title,
            checked,
            f"phone factor enabled with provider {provider}",
            "configure Twilio or a custom phone provider (Security > Multi-factor Auth > Phone Message)",
        )
    return passed("mfa_phone_provider", title, checked, f"provider {provider}")


@check("legacy_profile_off", "Legacy user profile is off", "critical")
def legacy_profile_off(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """``flags.enable_legacy_profile`` is false."""
    return _flag_off(
        "legacy_profile_off",
        "Legacy user profile is off",
        "enable_legacy_profile",
        "set flags.enable_legacy_profile to false (Tenant Settings > Advanced)",
        snapshot,
    )


@check("social_dev_keys", "Social connections use their own keys, not Auth0 development keys", "critical")
def social_dev_keys(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """Social connections have a ``client_id`` and ``client_secret`` of their own."""
    title = "Social connections use their own keys, not Auth0 development keys"
    dev = _names(
        c
        for c in snapshot.connections
        if c.get("strategy") in SOCIAL_STRATEGIES
        and not ((c.get("options") or {}).get("client_id") and (c.get("options") or {}).get("client_secret"))
    )
    checked = "GET /api/v2/connections options.client_id/client_secret of social strategies"
    if dev:
        return failed(
            "social_dev_keys",
            title,
            checked,
            f"using Auth0 development keys: {', '.join(dev)}",
            "register your own app with the provider and set its keys",
        )
    return passed("social_dev_keys", title, checked, "no social connection on development keys")


@check("support_contact", "Support email and support URL are set", "critical")
def support_contact(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """Tenant ``support_email`` and ``support_url``."""
    title = "Support email and support URL are set"
    missing = [key for key in ("support_email", "support_url") if not snapshot.settings.get(key)]
    checked = "GET /api/v2/tenants/settings support_email, support_url"
    if missing:
        return failed(
            "support_contact",
            title,
            checked,
            f"missing {', '.join(missing)}",
            "set them in Tenant Settings > General",
        )
    return passed(
        "support_contact", title, checked, {k: snapshot.settings[k] for k in ("support_email", "support_url")}
    )


@check("tenant_login_uri", "Tenant login URI is set", "critical")
def tenant_login_uri(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """Tenant ``default_redirection_uri``."""
    title = "Tenant login URI is set"
    checked = "GET /api/v2/tenants/settings default_redirection_uri"
    uri = snapshot.settings.get("default_redirection_uri")
    if not uri:
        return failed(
            "tenant_login_uri",
            title,
            checked,
            "default_redirection_uri is not set",
            "set Tenant Settings > Advanced > Default Login Route",
        )
    return passed("tenant_login_uri", title, checked, str(uri))


@check("log_streaming", "An active log stream exports tenant logs", "recommended")
def log_streaming(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """A log stream with ``status == "active"``."""
    title = "An active log stream exports tenant logs"
    checked = "GET /api/v2/log-streams status"
    active = _names(s for s in snapshot.log_streams if s.get("status") == "active")
    if not active:
        states = (
            ", ".join(f"{_names([s])[0]}={s.get('status')}" for s in snapshot.log_streams) or "no log streams"
        )
        return failed(
            "log_streaming",
            title,
            checked,
            states,
            "create a log stream (Monitoring > Streams) or resume the paused one",
        )
    return passed("log_streaming", title, checked, f"active: {', '.join(active)}")


@check("custom_domain", "A custom domain is ready", "recommended")
def custom_domain(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """A custom domain with ``status == "ready"``."""
    title = "A custom domain is ready"
    checked = "GET /api/v2/custom-domains status"
    ready = [str(d.get("domain")) for d in snapshot.custom_domains if d.get("status") == "ready"]
    if not ready:
        return failed(
            "custom_domain",
            title,
            checked,
            "no custom domain in status ready",
            "add and verify a custom domain (Branding > Custom Domains)",
        )
    return passed("custom_domain", title, checked, f"ready: {', '.join(ready)}")


@check("custom_error_page", "A custom error page is configured", "recommended")
def custom_error_page(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """Tenant ``error_page.url`` or ``error_page.html``."""
    title = "A custom error page is configured"
    page = snapshot.settings.get("error_page") or {}
    checked = "GET /api/v2/tenants/settings error_page"
    if not (page.get("url") or page.get("html")):
        return failed(
            "custom_error_page",
            title,
            checked,
            "error_page has no url or html",
            "set a custom error page (Branding > Universal Login > Error page)",
        )
    return passed("custom_error_page", title, checked, str(page.get("url") or "inline html"))


@check("universal_login", "New Universal Login is used", "recommended")
def universal_login(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """``GET /api/v2/prompts`` ``universal_login_experience == "new"``."""
    title = "New Universal Login is used"
    experience = snapshot.prompts.get("universal_login_experience")
    checked = "GET /api/v2/prompts universal_login_experience"
    if experience != "new":
        return failed(
            "universal_login",
            title,
            checked,
            f"universal_login_experience is {experience}",
            "switch to the new Universal Login experience",
        )
    return passed("universal_login", title, checked, "new")


@check("email_templates", "Required email templates are customised and enabled", "recommended")
def email_templates(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """Every template in ``readiness.required_email_templates`` exists and is enabled."""
    title = "Required email templates are customised and enabled"
    checked = f"GET /api/v2/email-templates/{{{','.join(config.required_email_templates)}}}"
    problems = []
    for name in config.required_email_templates:
        template = snapshot.email_templates.get(name)
        if template is None:
            problems.append(f"{name} not customised")
        elif not template.get("enabled"):
            problems.append(f"{name} disabled")
    if problems:
        return failed(
            "email_templates",
            title,
            checked,
            ", ".join(problems),
            "customise and enable them (Branding > Email Templates)",
        )
    return passed(
        "email_templates", title, checked, f"{len(config.required_email_templates)} templates enabled"
    )


@check("mfa_enabled", "Multi-factor authentication is available", "recommended")
def mfa_enabled(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """At least one guardian factor is enabled."""
    title = "Multi-factor authentication is available"
    enabled = [str(f.get("name")) for f in snapshot.guardian_factors if f.get("enabled")]
    checked = "GET /api/v2/guardian/factors; /guardian/policies"
    if not enabled:
        return failed(
            "mfa_enabled",
            title,
            checked,
            "no MFA factor enabled",
            "enable at least one factor (Security > Multi-factor Auth)",
        )
    return passed(
        "mfa_enabled",
        title,
        checked,
        {"factors": ",".join(enabled), "policies": ",".join(snapshot.guardian_policies) or "none"},
    )


@check("rs256", "Applications sign tokens with RS256", "recommended")
def rs256(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """Clients' ``jwt_configuration.alg`` and APIs' ``signing_alg`` are not HS256."""
    title = "Applications sign tokens with RS256"
    hs = [
        f"client {_names([c])[0]}"
        for c in snapshot.clients
        if (c.get("jwt_configuration") or {}).get("alg") == "HS256"
    ]
    hs += [f"API {_names([r])[0]}" for r in snapshot.resource_servers if r.get("signing_alg") == "HS256"]
    checked = "clients[].jwt_configuration.alg; resource-servers[].signing_alg"
    if hs:
        return failed(
            "rs256",
            title,
            checked,
            f"HS256 used by {', '.join(hs)}",
            "switch them to RS256 (application > Advanced > OAuth)",
        )
    return passed("rs256", title, checked, "no HS256 signing")


@check("logout_urls", "Allowed logout URLs are set", "recommended")
def logout_urls(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """Tenant or every interactive client has ``allowed_logout_urls``."""
    title = "Allowed logout URLs are set"
    checked = "tenant allowed_logout_urls; clients[].allowed_logout_urls"
    if snapshot.settings.get("allowed_logout_urls"):
        return passed("logout_urls", title, checked, "tenant-level logout URLs set")
    missing = _names(
        c
        for c in snapshot.clients
        if c.get("app_type") in INTERACTIVE_APP_TYPES and not c.get("allowed_logout_urls")
    )
    if missing:
        return failed(
            "logout_urls",
            title,
            checked,
            f"no logout URLs: {', '.join(missing)}",
            "set Allowed Logout URLs on these applications",
        )
    return passed("logout_urls", title, checked, "every interactive application has logout URLs")


@check("application_login_uri", "Interactive applications have a login URI", "recommended")
def application_login_uri(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """Interactive clients' ``initiate_login_uri``."""
    title = "Interactive applications have a login URI"
    missing = _names(
        c
        for c in snapshot.clients
        if c.get("app_type") in INTERACTIVE_APP_TYPES and not c.get("initiate_login_uri")
    )
    checked = "clients[].initiate_login_uri"
    if missing:
        return failed(
            "application_login_uri",
            title,
            checked,
            f"no login URI: {', '.join(missing)}",
            "set Application Login URI on these applications",
        )
    return passed("application_login_uri", title, checked, "set on every interactive application")


@check("attack_protection", "Attack protection is on", "recommended")
def attack_protection(snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """Brute-force protection, suspicious-IP throttling and breached-password detection enabled."""
    title = "Attack protection is on"
    parts = ("brute-force-protection", "suspicious-ip-throttling", "breached-password-detection")
    off = [part for part in parts if not snapshot.attack_protection.get(part, {}).get("enabled")]
    checked = "GET /api/v2/attack-protection/*"
    if not snapshot.attack_protection:
        return skipped("attack_protection", title, checked, "attack-protection settings could not be read")
    if off:
        return failed(
            "attack_protection",
            title,
            checked,
            f"disabled: {', '.join(off)}",
            "enable them (Security > Attack Protection)",
        )
    return passed("attack_protection", title, checked, "all enabled")
