"""Tenant settings: legacy flags, contacts, login/logout/error pages, sessions, audience, directory,
dynamic client registration, sandbox, Universal Login."""

from __future__ import annotations

import re

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessConfig
from otel_auth0.readiness.checks.common import databases, flags
from otel_auth0.readiness.checks.registry import Verdict, bad, check, ok

MAX_SESSION_H = 168  # 7 days
MAX_IDLE_SESSION_H = 72  # Auth0's default idle lifetime
DEFAULT_SESSION_H = 72


def _flag_off(snapshot: TenantSnapshot, flag: str) -> Verdict:
    if flags(snapshot).get(flag):
        return bad(f"flags.{flag} is true")
    return ok(f"flags.{flag} is off")


@check(
    "idtoken_api2_off",
    "ID tokens are not accepted for Management API v2",
    "critical",
    reads=("settings",),
    fix="turn off Tenant Settings > Advanced > 'Allow ID Tokens for Management API v2 Authentication'",
)
def idtoken_api2_off(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``flags.enable_idtoken_api2`` is false."""
    return _flag_off(snapshot, "enable_idtoken_api2")


@check(
    "legacy_tokeninfo_off",
    "Legacy /tokeninfo endpoint is off",
    "critical",
    reads=("settings",),
    fix="set flags.allow_legacy_tokeninfo_endpoint to false (PATCH /api/v2/tenants/settings)",
)
def legacy_tokeninfo_off(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``flags.allow_legacy_tokeninfo_endpoint`` is false."""
    return _flag_off(snapshot, "allow_legacy_tokeninfo_endpoint")


@check(
    "legacy_profile_off",
    "Legacy user profile is off",
    "critical",
    reads=("settings",),
    fix="set flags.enable_legacy_profile to false (Tenant Settings > Advanced)",
)
def legacy_profile_off(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``flags.enable_legacy_profile`` is false."""
    return _flag_off(snapshot, "enable_legacy_profile")


@check(
    "dynamic_client_registration_off",
    "Dynamic client registration is off",
    "critical",
    reads=("settings",),
    fix="turn off Tenant Settings > Advanced > OIDC Dynamic Application Registration",
    anchor="checkEnabledDynamicClientRegistration",
)
def dynamic_client_registration_off(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``flags.enable_dynamic_client_registration`` is false (anyone could register applications)."""
    return _flag_off(snapshot, "enable_dynamic_client_registration")


@check(
    "clickjack_protection",
    "Clickjacking protection headers are on",
    "recommended",
    reads=("settings",),
    fix="set flags.disable_clickjack_protection_headers to false",
)
def clickjack_protection(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``flags.disable_clickjack_protection_headers`` is not true."""
    if flags(snapshot).get("disable_clickjack_protection_headers"):
        return bad("flags.disable_clickjack_protection_headers is true")
    return ok("X-Frame-Options / frame-ancestors headers are sent")


@check(
    "support_contact",
    "Support email and support URL are set",
    "critical",
    reads=("settings",),
    fix="set them in Tenant Settings > General",
    anchor="checkSupportEmail, checkSupportUrl",
)
def support_contact(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Tenant ``support_email`` and ``support_url``."""
    missing = [key for key in ("support_email", "support_url") if not snapshot.settings.get(key)]
    if missing:
        return bad(f"missing {', '.join(missing)}")
    return ok(
        f"support_email={snapshot.settings['support_email']}; support_url={snapshot.settings['support_url']}"
    )


@check(
    "tenant_login_uri",
    "Tenant login URI is set",
    "critical",
    reads=("settings",),
    fix="set Tenant Settings > Advanced > Default Login Route",
    anchor="checkTenantLoginUrl",
)
def tenant_login_uri(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Tenant ``default_redirection_uri``."""
    uri = snapshot.settings.get("default_redirection_uri")
    if not uri:
        return bad("default_redirection_uri is not set")
    return ok(f"default_redirection_uri={uri}")


@check(
    "custom_error_page",
    "A custom error page is configured",
    "recommended",
    reads=("settings",),
    fix="set a custom error page (Branding > Universal Login > Error page)",
    anchor="checkErrorPageTemplate",
)
def custom_error_page(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Tenant ``error_page.url`` or ``error_page.html``."""
    page = snapshot.settings.get("error_page") or {}
    if not (page.get("url") or page.get("html")):
        return bad("error_page has no url or html")
    return ok(f"error_page={page.get('url') or 'inline html'}")


@check(
    "session_lifetimes",
    "Session and idle-session lifetimes are bounded",
    "recommended",
    reads=("settings",),
    fix=f"set session lifetime <= {MAX_SESSION_H} h and idle lifetime <= {MAX_IDLE_SESSION_H} h "
    "(Tenant Settings > Advanced > Login Session Management)",
    anchor="checkSessionLifetime",
)
def session_lifetimes(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """The lifetimes of the tenant's session-cookie mode are within bounds and idle <= absolute."""
    s = snapshot.settings
    mode = (s.get("session_cookie") or {}).get("mode", "persistent")
    prefix = "ephemeral_" if mode == "non-persistent" else ""
    life = float(s.get(f"{prefix}session_lifetime") or DEFAULT_SESSION_H)
    idle = float(s.get(f"idle_{prefix}session_lifetime") or MAX_IDLE_SESSION_H)
    found = f"{mode} cookie: session {life:g} h, idle {idle:g} h"
    if life > MAX_SESSION_H or idle > MAX_IDLE_SESSION_H or idle > life:
        return bad(f"{found} (limits {MAX_SESSION_H} h / {MAX_IDLE_SESSION_H} h, idle <= session)")
    return ok(found)


@check(
    "default_audience_unset",
    "No tenant-wide default audience",
    "recommended",
    reads=("settings",),
    fix="clear Tenant Settings > API Authorization Settings > Default Audience; request an audience per app",
    anchor="checkDefaultAudience",
)
def default_audience_unset(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``default_audience`` is empty (otherwise every login without an audience gets an API token)."""
    audience = snapshot.settings.get("default_audience")
    if audience:
        return bad(f"default_audience is {audience}")
    return ok("default_audience is not set")


@check(
    "default_directory",
    "The default directory, when set, is an existing database connection",
    "recommended",
    reads=("settings", "connections"),
    fix="set Tenant Settings > API Authorization Settings > Default Directory to a database connection "
    "or clear it",
    anchor="checkDefaultDirectory",
)
def default_directory(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``default_directory`` names a database connection of the tenant (or is unset)."""
    directory = snapshot.settings.get("default_directory")
    if not directory:
        return ok("default_directory is not set (password grants must name a realm)")
    dbs = [str(c.get("name")) for c in databases(snapshot)]
    if directory not in dbs:
        return bad(
            f"default_directory {directory} is not a database connection (have: {', '.join(dbs) or 'none'})"
        )
    return ok(f"default_directory={directory}")


@check(
    "sandbox_version",
    "The tenant's extensibility sandbox runs a recommended Node.js",
    "critical",
    reads=("settings",),
    fix="upgrade Tenant Settings > Advanced > Extensibility to a recommended Node.js version",
    anchor="checkSandboxVersion",
)
def sandbox_version(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``sandbox_version`` is one of ``readiness.recommended_node_runtimes``."""
    wanted = {major(r) for r in config.recommended_node_runtimes}
    sandbox = str(snapshot.settings.get("sandbox_version", ""))
    if major(sandbox) not in wanted:
        return bad(f"outdated runtimes: tenant sandbox_version={sandbox or 'unset'}")
    return ok(f"sandbox_version={sandbox}")


def major(runtime: str) -> str:
    """``node22`` -> ``22``."""
    return "".join(ch for ch in runtime if ch.isdigit())


@check(
    "universal_login",
    "New Universal Login is used",
    "recommended",
    reads=("prompts",),
    fix="switch to the new Universal Login experience",
)
def universal_login(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``GET /api/v2/prompts`` ``universal_login_experience == "new"``."""
    experience = snapshot.prompts.get("universal_login_experience")
    if experience != "new":
        return bad(f"universal_login_experience is {experience}")
    return ok("universal_login_experience=new")


LIQUID_OUTPUT = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")
SAFE_FILTERS = ("escape", "escape_once", "h", "html_escape", "url_encode", "uri_escape", "cgi_escape")


def unescaped_outputs(template: str) -> list[str]:
    """Liquid ``{{ … }}`` outputs without an escaping filter (or with ``raw``)."""
    found = []
    for match in LIQUID_OUTPUT.finditer(template):
        filters = [part.strip().split(":")[0].strip() for part in match.group(1).split("|")[1:]]
        if not any(f in SAFE_FILTERS for f in filters) or "raw" in filters:
            found.append(match.group(0))
    return found


@check(
    "error_page_escaped",
    "The custom error page escapes every Liquid variable",
    "critical",
    reads=("settings",),
    fix="pipe every {{ variable }} of error_page.html through | escape (and never | raw)",
    anchor="checkErrorPageTemplate",
)
def error_page_escaped(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``error_page.html`` has no unescaped Liquid output (reflected XSS on the error page)."""
    html = str((snapshot.settings.get("error_page") or {}).get("html") or "")
    if not html:
        return ok("no inline error page template")
    found = unescaped_outputs(html)
    if found:
        return bad(f"unescaped Liquid output: {', '.join(found[:5])}")
    return ok(f"{len(LIQUID_OUTPUT.findall(html))} Liquid outputs, all escaped")
