"""Applications (``GET /api/v2/clients``): URLs, grants, client authentication, PKCE, refresh tokens,
signing, cross-origin authentication, login URI, logout, and high-assurance features (PAR, JAR, DPoP)."""

from __future__ import annotations

from typing import Any

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessConfig
from otel_auth0.readiness.checks.common import (
    LOCAL_HOSTS,
    PUBLIC_APP_TYPES,
    STRONG_ALGS,
    bound_actions,
    interactive,
    listing,
    name,
    names,
    unsafe_url,
)
from otel_auth0.readiness.checks.registry import Verdict, bad, check, ok

LEGACY_RO = (
    "http://auth0.com/oauth/legacy/grant-type/ro",
    "http://auth0.com/oauth/legacy/grant-type/ro/jwt-bearer",
)
LEGACY_DELEGATION = "http://auth0.com/oauth/legacy/grant-type/delegation"
KEY_BASED_AUTH = ("private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth")


def _with_grant(snapshot: TenantSnapshot, prefixes: tuple[str, ...]) -> list[str]:
    return names(
        c for c in snapshot.clients if any(str(g).startswith(prefixes) for g in c.get("grant_types") or [])
    )


def _urls(
    snapshot: TenantSnapshot, keys: tuple[str, ...], *, native_schemes: bool = False
) -> tuple[int, list[str]]:
    """``(URLs looked at, "app.key=url (why)" for unsafe ones)`` over interactive applications."""
    seen, found = 0, []
    for c in interactive(snapshot):
        for key in keys:
            for url in c.get(key) or []:
                seen += 1
                why = unsafe_url(
                    str(url), allow_custom_scheme=native_schemes and c.get("app_type") == "native"
                )
                if why:
                    found.append(f"{name(c)}.{key}={url} ({why})")
    return seen, found


@check(
    "legacy_ro_grants_off",
    "Legacy resource-owner grants are off",
    "critical",
    reads=("settings", "clients"),
    fix="turn off allow_legacy_ro_grant_types and remove the legacy ro grant from these applications",
    anchor="checkGrantTypes",
)
def legacy_ro_grants_off(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Tenant flag off and no application uses the legacy ``ro`` grants."""
    clients = _with_grant(snapshot, LEGACY_RO)
    flag = bool((snapshot.settings.get("flags") or {}).get("allow_legacy_ro_grant_types"))
    if flag or clients:
        return bad(
            f"legacy ro grants enabled (tenant flag {flag}, applications: {', '.join(clients) or 'none'})"
        )
    return ok(f"flag off, none of {len(snapshot.clients)} applications uses them")


@check(
    "legacy_delegation_off",
    "Legacy delegation grants are off",
    "critical",
    reads=("settings", "clients"),
    fix="turn off allow_legacy_delegation_grant_types and remove the delegation grant from applications",
    anchor="checkGrantTypes",
)
def legacy_delegation_off(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Tenant flag off and no application uses delegation."""
    clients = _with_grant(snapshot, (LEGACY_DELEGATION,))
    flag = bool((snapshot.settings.get("flags") or {}).get("allow_legacy_delegation_grant_types"))
    if flag or clients:
        return bad(f"delegation enabled (tenant flag {flag}, applications: {', '.join(clients) or 'none'})")
    return ok(f"flag off, none of {len(snapshot.clients)} applications uses it")


@check(
    "no_localhost_urls",
    "No application allows localhost callbacks or origins",
    "critical",
    reads=("clients",),
    fix="remove localhost / 127.0.0.1 URLs from production applications (keep them in a dev tenant)",
    anchor="checkAllowedCallbacks, checkWebOrigins",
)
def no_localhost_urls(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``callbacks``, ``allowed_origins`` and ``web_origins`` name no loopback host."""
    found = [
        f"{name(c)}.{key}={url}"
        for c in snapshot.clients
        for key in ("callbacks", "allowed_origins", "web_origins")
        for url in c.get(key) or []
        if LOCAL_HOSTS.match(str(url))
    ]
    if found:
        return bad(f"localhost URLs found: {listing(found)}")
    return ok(f"{len(snapshot.clients)} applications checked, none with localhost URLs")


@check(
    "app_callbacks_secure",
    "Callback URLs are https and without wildcards",
    "critical",
    reads=("clients",),
    fix="list exact https callback URLs (custom schemes only for native apps)",
    anchor="checkAllowedCallbacks",
)
def app_callbacks_secure(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Every interactive application's ``callbacks`` is https (or a native app's custom scheme), no ``*``."""
    seen, found = _urls(snapshot, ("callbacks",), native_schemes=True)
    if found:
        return bad(f"unsafe callbacks: {listing(found)}")
    return ok(f"{seen} callback URLs checked, all https and exact")


@check(
    "app_origins_secure",
    "Web origins and allowed origins are https and without wildcards",
    "critical",
    reads=("clients",),
    fix="list exact https origins on these applications",
    anchor="checkWebOrigins",
)
def app_origins_secure(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``web_origins`` and ``allowed_origins`` are https, exact, not loopback."""
    seen, found = _urls(snapshot, ("web_origins", "allowed_origins"))
    if found:
        return bad(f"unsafe origins: {listing(found)}")
    return ok(f"{seen} origins checked, all https and exact")


@check(
    "app_logout_urls_secure",
    "Allowed logout URLs are https and without wildcards",
    "recommended",
    reads=("clients",),
    fix="list exact https logout URLs on these applications",
    anchor="checkAllowedLogoutUrl",
)
def app_logout_urls_secure(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``allowed_logout_urls`` are https, exact, not loopback."""
    seen, found = _urls(snapshot, ("allowed_logout_urls",), native_schemes=True)
    if found:
        return bad(f"unsafe logout URLs: {listing(found)}")
    return ok(f"{seen} logout URLs checked, all https and exact")


@check(
    "logout_urls",
    "Allowed logout URLs are set",
    "recommended",
    reads=("settings", "clients"),
    fix="set Allowed Logout URLs on these applications",
    anchor="checkAllowedLogoutUrl, checkTenantLogoutUrl",
)
def logout_urls(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Tenant or every interactive client has ``allowed_logout_urls``."""
    if snapshot.settings.get("allowed_logout_urls"):
        return ok("tenant-level logout URLs set")
    missing = names(c for c in interactive(snapshot) if not c.get("allowed_logout_urls"))
    if missing:
        return bad(f"no logout URLs: {', '.join(missing)}")
    return ok(f"every one of {len(interactive(snapshot))} interactive applications has logout URLs")


@check(
    "app_grant_types",
    "Interactive applications use neither the implicit nor the password grant",
    "critical",
    reads=("clients",),
    fix="remove the implicit and password grants; use the authorization code flow (with PKCE)",
    anchor="checkGrantTypes",
)
def app_grant_types(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """No SPA / web / native application has ``implicit`` or ``password`` in ``grant_types``."""
    found = [
        f"{name(c)}: {g}"
        for c in interactive(snapshot)
        for g in c.get("grant_types") or []
        if g in ("implicit", "password")
    ]
    if found:
        return bad(f"discouraged grants: {listing(found)}")
    return ok(f"{len(interactive(snapshot))} interactive applications checked, no implicit or password grant")


def _auth_methods(client: dict[str, Any]) -> set[str]:
    methods = set((client.get("client_authentication_methods") or {}).keys())
    if client.get("token_endpoint_auth_method"):
        methods.add(str(client["token_endpoint_auth_method"]))
    return methods


@check(
    "app_token_endpoint_auth",
    "Web applications authenticate with Private Key JWT or mTLS",
    "recommended",
    reads=("clients",),
    fix="configure Private Key JWT (or mTLS) credentials and stop using the client secret",
    anchor="checkPrivateKeyJWT",
)
def app_token_endpoint_auth(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Regular web applications use a key-based client authentication method."""
    web = [c for c in snapshot.clients if c.get("app_type") == "regular_web"]
    weak = [
        f"{name(c)}={','.join(sorted(_auth_methods(c))) or 'client_secret_post'}"
        for c in web
        if not _auth_methods(c) & set(KEY_BASED_AUTH)
    ]
    if weak:
        return bad(f"shared-secret client authentication: {listing(weak)}")
    return ok(f"{len(web)} web applications use {', '.join(KEY_BASED_AUTH)}")


def enforces_pkce(action: dict[str, Any]) -> bool:
    """The action's code denies access when ``code_challenge`` is missing."""
    code = str(action.get("code") or "")
    return "code_challenge" in code and "api.access.deny" in code


@check(
    "app_pkce_enforced",
    "PKCE is enforced for public applications",
    "recommended",
    reads=("clients", "actions", "action_bindings"),
    fix="bind a post-login Action that denies authorization-code logins without code_challenge",
    anchor="checkPKCEEnforcement",
)
def app_pkce_enforced(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """With SPA / native apps on the code grant, a bound post-login Action rejects requests without PKCE."""
    public = names(
        c
        for c in snapshot.clients
        if c.get("app_type") in PUBLIC_APP_TYPES and "authorization_code" in (c.get("grant_types") or [])
    )
    if not public:
        return ok("no public application uses the authorization code grant")
    enforcing = names(a for a in bound_actions(snapshot, "post-login") if enforces_pkce(a))
    if not enforcing:
        return bad(f"no bound post-login Action enforces PKCE for {', '.join(public)}")
    return ok(f"{', '.join(enforcing)} enforces PKCE for {', '.join(public)}")


@check(
    "refresh_token_rotation",
    "Refresh tokens rotate and expire",
    "recommended",
    reads=("clients",),
    fix="set refresh_token rotation_type=rotating and expiration_type=expiring (no infinite lifetimes)",
    anchor="checkRefreshToken",
)
def refresh_token_rotation(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Applications with the refresh-token grant rotate and expire their refresh tokens."""
    users = [c for c in snapshot.clients if "refresh_token" in (c.get("grant_types") or [])]
    found = []
    for c in users:
        rt = c.get("refresh_token") or {}
        problems = [
            text
            for text, bad_value in (
                (f"rotation_type={rt.get('rotation_type')}", rt.get("rotation_type") != "rotating"),
                (f"expiration_type={rt.get('expiration_type')}", rt.get("expiration_type") != "expiring"),
                ("infinite_token_lifetime", bool(rt.get("infinite_token_lifetime"))),
                ("infinite_idle_token_lifetime", bool(rt.get("infinite_idle_token_lifetime"))),
            )
            if bad_value
        ]
        if problems:
            found.append(f"{name(c)} ({', '.join(problems)})")
    if found:
        return bad(f"non-rotating or non-expiring refresh tokens: {listing(found)}")
    return ok(f"{len(users)} applications with refresh tokens rotate and expire them")


@check(
    "rs256",
    "Applications sign ID tokens with RS256 or PS256",
    "recommended",
    reads=("clients",),
    fix="switch them to RS256 (application > Advanced > OAuth)",
    anchor="checkJWTSignAlg",
)
def rs256(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Clients' ``jwt_configuration.alg`` is RS256 or PS256."""
    weak = [
        f"client {name(c)}={(c.get('jwt_configuration') or {}).get('alg')}"
        for c in snapshot.clients
        if (c.get("jwt_configuration") or {}).get("alg", "RS256") not in STRONG_ALGS
    ]
    if weak:
        return bad(f"HS256 or other symmetric signing used by {', '.join(weak)}")
    return ok(f"{len(snapshot.clients)} applications sign with {'/'.join(STRONG_ALGS)}")


@check(
    "cross_origin_auth_off",
    "Cross-origin authentication is off",
    "recommended",
    reads=("clients",),
    fix="turn off Cross-Origin Authentication and use Universal Login",
    anchor="checkCrossOriginAuthentication",
)
def cross_origin_auth_off(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """No application has ``cross_origin_authentication`` on (embedded login, third-party cookies)."""
    on = names(
        c for c in snapshot.clients if c.get("cross_origin_authentication") or c.get("cross_origin_auth")
    )
    if on:
        return bad(f"cross-origin authentication on: {', '.join(on)}")
    return ok(f"off on all {len(snapshot.clients)} applications")


@check(
    "application_login_uri",
    "Interactive applications have a login URI",
    "recommended",
    reads=("clients",),
    fix="set Application Login URI on these applications",
    anchor="checkApplicationLoginUri",
)
def application_login_uri(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Interactive clients' ``initiate_login_uri``."""
    missing = names(c for c in interactive(snapshot) if not c.get("initiate_login_uri"))
    if missing:
        return bad(f"no login URI: {', '.join(missing)}")
    return ok(f"set on all {len(interactive(snapshot))} interactive applications")


@check(
    "backchannel_logout",
    "Web applications receive back-channel logout",
    "recommended",
    reads=("clients",),
    fix="set OIDC Back-Channel Logout URLs (https) on these applications",
    anchor="checkBackchannelLogout",
)
def backchannel_logout(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Regular web applications have https ``oidc_logout.backchannel_logout_urls``."""
    web = [c for c in snapshot.clients if c.get("app_type") == "regular_web"]
    missing = [
        name(c)
        for c in web
        if not any(
            str(u).startswith("https://")
            for u in (c.get("oidc_logout") or {}).get("backchannel_logout_urls") or []
        )
    ]
    if missing:
        return bad(f"no https back-channel logout URL: {', '.join(missing)}")
    return ok(f"{len(web)} web applications have back-channel logout")


def _high_assurance(snapshot: TenantSnapshot) -> list[dict[str, Any]]:
    return [c for c in snapshot.clients if c.get("compliance_level")]


@check(
    "app_par_required",
    "High-assurance applications require pushed authorization requests (PAR)",
    "recommended",
    reads=("clients",),
    fix="turn on require_pushed_authorization_requests on these applications",
    anchor="checkPAR",
)
def app_par_required(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Applications with a ``compliance_level`` set ``require_pushed_authorization_requests``."""
    apps = _high_assurance(snapshot)
    missing = names(c for c in apps if not c.get("require_pushed_authorization_requests"))
    if missing:
        return bad(f"PAR not required: {', '.join(missing)}")
    return ok(f"{len(apps)} high-assurance applications (compliance_level set) require PAR")


@check(
    "app_jar_required",
    "High-assurance applications require signed request objects (JAR)",
    "recommended",
    reads=("clients",),
    fix="set signed_request_object.required and register its credentials",
    anchor="checkJAR",
)
def app_jar_required(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Applications with a ``compliance_level`` require JAR with registered credentials."""
    apps = _high_assurance(snapshot)
    missing = names(
        c
        for c in apps
        if not (
            (c.get("signed_request_object") or {}).get("required")
            and (c.get("signed_request_object") or {}).get("credentials")
        )
    )
    if missing:
        return bad(f"JAR not required or no credentials: {', '.join(missing)}")
    return ok(f"{len(apps)} high-assurance applications require JAR")


@check(
    "app_sender_constrained",
    "High-assurance applications use sender-constrained tokens (DPoP or mTLS)",
    "recommended",
    reads=("clients",),
    fix="turn on require_proof_of_possession (DPoP) or mTLS-bound tokens on these applications",
    anchor="checkDPoP, checkAppTokenSenderConstraining",
)
def app_sender_constrained(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Applications with a ``compliance_level`` require proof of possession."""
    apps = _high_assurance(snapshot)
    missing = names(
        c
        for c in apps
        if not (c.get("require_proof_of_possession") or (c.get("token_binding") or {}).get("mtls"))
    )
    if missing:
        return bad(f"tokens not sender-constrained: {', '.join(missing)}")
    return ok(f"{len(apps)} high-assurance applications require proof of possession")


@check(
    "mgmt_api_backend_only",
    "The Management API is granted to back-end applications only",
    "critical",
    reads=("clients", "client_grants"),
    fix="delete the Management API client grants of these user-facing applications",
)
def mgmt_api_backend_only(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """No client grant on ``…/api/v2/`` belongs to a SPA, web or native application."""
    user_facing = {c.get("client_id"): name(c) for c in interactive(snapshot)}
    found = [
        f"{user_facing[g.get('client_id')]} ({len(g.get('scope') or [])} scopes)"
        for g in snapshot.client_grants
        if str(g.get("audience", "")).endswith("/api/v2/") and g.get("client_id") in user_facing
    ]
    if found:
        return bad(f"Management API granted to user-facing applications: {', '.join(found)}")
    grants = sum(1 for g in snapshot.client_grants if str(g.get("audience", "")).endswith("/api/v2/"))
    return ok(f"{grants} Management API grants, none to a user-facing application")
