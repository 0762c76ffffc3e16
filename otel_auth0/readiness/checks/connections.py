"""Connections: database password policy and options, custom database scripts, promotion, and social
connections on Auth0's development keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessConfig
from otel_auth0.readiness.checks.common import databases, listing, name, names, options, secret_literals
from otel_auth0.readiness.checks.registry import Verdict, bad, check, ok

SOCIAL_STRATEGIES = frozenset(
    ["google-oauth2", "facebook", "github", "windowslive", "linkedin", "twitter", "apple", "amazon"]
)
STRONG_POLICIES = ("good", "excellent")
MIN_LENGTH = 12  # NIST SP 800-63B for user-chosen passwords
MIN_HISTORY = 5


def _per_db(snapshot: TenantSnapshot, problem: Callable[[dict[str, Any]], str | None], what: str) -> Verdict:
    dbs = databases(snapshot)
    found = [f"{name(db)} ({why})" for db in dbs for why in [problem(options(db))] if why]
    if found:
        return bad(f"{listing(found)}")
    return ok(f"{len(dbs)} database connections checked: {what}")


@check(
    "db_password_policy",
    "Database connections use a strong password policy",
    "critical",
    reads=("connections",),
    fix="set the password policy to Good or Excellent (Authentication > Database > Password Policy)",
    anchor="checkPasswordPolicy",
)
def db_password_policy(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``options.passwordPolicy`` is ``good`` or ``excellent``."""
    return _per_db(
        snapshot,
        lambda o: (
            None
            if o.get("passwordPolicy") in STRONG_POLICIES
            else f"passwordPolicy={o.get('passwordPolicy')}"
        ),
        "password policy good or excellent",
    )


@check(
    "db_password_complexity",
    f"Database passwords are at least {MIN_LENGTH} characters",
    "recommended",
    reads=("connections",),
    fix=f"set password_complexity_options.min_length to {MIN_LENGTH} or more",
    anchor="checkPasswordComplexity",
)
def db_password_complexity(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``options.password_complexity_options.min_length`` >= :data:`MIN_LENGTH`."""

    def problem(o: dict[str, Any]) -> str | None:
        length = (o.get("password_complexity_options") or {}).get("min_length")
        return None if isinstance(length, int) and length >= MIN_LENGTH else f"min_length={length}"

    return _per_db(snapshot, problem, f"minimum length >= {MIN_LENGTH}")


@check(
    "db_password_history",
    "Database connections forbid reusing recent passwords",
    "recommended",
    reads=("connections",),
    fix=f"enable Password History with a size of {MIN_HISTORY} or more",
    anchor="checkPasswordHistory",
)
def db_password_history(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``options.password_history`` enabled with ``size`` >= :data:`MIN_HISTORY`."""

    def problem(o: dict[str, Any]) -> str | None:
        history = o.get("password_history") or {}
        if history.get("enable") and int(history.get("size") or 0) >= MIN_HISTORY:
            return None
        return f"password_history enable={bool(history.get('enable'))} size={history.get('size')}"

    return _per_db(snapshot, problem, f"history of {MIN_HISTORY}+ passwords")


@check(
    "db_password_dictionary",
    "Database connections reject dictionary passwords",
    "recommended",
    reads=("connections",),
    fix="enable Password Dictionary on these connections",
)
def db_password_dictionary(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``options.password_dictionary.enable``."""
    return _per_db(
        snapshot,
        lambda o: None if (o.get("password_dictionary") or {}).get("enable") else "password_dictionary off",
        "dictionary check on",
    )


@check(
    "db_password_no_personal_info",
    "Database passwords may not contain personal data",
    "recommended",
    reads=("connections",),
    fix="enable 'Disallow Personal Data' on these connections",
    anchor="checkPasswordNoPersonalInfo",
)
def db_password_no_personal_info(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``options.password_no_personal_info.enable``."""
    return _per_db(
        snapshot,
        lambda o: (
            None if (o.get("password_no_personal_info") or {}).get("enable") else "personal data allowed"
        ),
        "personal data disallowed",
    )


@check(
    "db_email_verification",
    "Database email identifiers are verified",
    "recommended",
    reads=("connections",),
    fix="set attributes.email.verification_method to otp or link",
    anchor="checkEmailAttributeVerification",
)
def db_email_verification(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """With flexible identifiers (``options.attributes.email``), ``verification_method`` is otp or link."""

    def problem(o: dict[str, Any]) -> str | None:
        email = (o.get("attributes") or {}).get("email")
        if not isinstance(email, dict):
            return None  # classic identifiers: verification by the verify_email template
        method = email.get("verification_method")
        return None if method in ("otp", "link") else f"email verification_method={method}"

    return _per_db(snapshot, problem, "email identifiers verified (otp/link) or classic identifiers")


@check(
    "db_passkeys",
    "Database connections offer passkeys",
    "recommended",
    reads=("connections",),
    fix="enable passkeys (Authentication Methods) on these connections",
    anchor="checkAuthenticationMethods",
)
def db_passkeys(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``options.authentication_methods.passkey.enabled``."""
    return _per_db(
        snapshot,
        lambda o: (
            None
            if ((o.get("authentication_methods") or {}).get("passkey") or {}).get("enabled")
            else "passkeys off"
        ),
        "passkeys on",
    )


@check(
    "db_custom_scripts_secrets",
    "Custom database scripts hold no hard-coded secrets",
    "critical",
    reads=("connections",),
    fix="move keys, tokens and passwords to the connection's configuration settings (configuration.NAME)",
    anchor="checkDASHardCodedValues",
)
def db_custom_scripts_secrets(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """The source of every ``options.customScripts`` entry has no credential-looking literal."""
    scripts = [
        (f"{name(db)}.{script}", str(code))
        for db in databases(snapshot)
        if options(db).get("enabledDatabaseCustomization")
        for script, code in (options(db).get("customScripts") or {}).items()
    ]
    found = [
        f"{where}: {', '.join(hits)}" for where, code in scripts for hits in [secret_literals(code)] if hits
    ]
    if found:
        return bad(f"hard-coded secrets in {listing(found)}")
    return ok(f"{len(scripts)} custom database scripts scanned, no secret literal")


@check(
    "db_external_store_import",
    "Custom databases import users into Auth0",
    "recommended",
    reads=("connections",),
    fix="turn on 'Import Users to Auth0' (automatic migration) on these connections",
    anchor="checkEnabledDatabaseCustomization",
)
def db_external_store_import(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """A connection with ``enabledDatabaseCustomization`` has ``import_mode`` on (no login depends on it)."""
    legacy = names(
        db
        for db in databases(snapshot)
        if options(db).get("enabledDatabaseCustomization") and not options(db).get("import_mode")
    )
    if legacy:
        return bad(f"every login depends on the external store: {', '.join(legacy)}")
    return ok("no database connection depends on an external store at login")


@check(
    "connections_not_promoted",
    "No connection is promoted to domain level",
    "recommended",
    reads=("connections",),
    fix="turn off is_domain_connection and enable the connection per application",
    anchor="checkPromotedDBConnection",
)
def connections_not_promoted(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """No connection has ``is_domain_connection`` (every application, third-party too, could use it)."""
    promoted = names(c for c in snapshot.connections if c.get("is_domain_connection"))
    if promoted:
        return bad(f"promoted to domain level: {', '.join(promoted)}")
    return ok(f"{len(snapshot.connections)} connections, none promoted")


@check(
    "social_dev_keys",
    "Social connections use their own keys, not Auth0 development keys",
    "critical",
    reads=("connections",),
    fix="register your own app with the provider and set its keys",
)
def social_dev_keys(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Social connections have a ``client_id`` and ``client_secret`` of their own."""
    social = [c for c in snapshot.connections if c.get("strategy") in SOCIAL_STRATEGIES]
    dev = names(c for c in social if not (options(c).get("client_id") and options(c).get("client_secret")))
    if dev:
        return bad(f"using Auth0 development keys: {', '.join(dev)}")
    return ok(f"{len(social)} social connections use their own keys")
