"""Actions, Rules and Hooks: runtime, hard-coded secrets, dependencies, MFA in the password-reset flow,
and legacy extensibility migrated."""

from __future__ import annotations

import re
from typing import Any

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessConfig
from otel_auth0.readiness.checks.common import (
    bound_actions,
    databases,
    listing,
    name,
    names,
    options,
    secret_literals,
)
from otel_auth0.readiness.checks.registry import Verdict, bad, check, ok
from otel_auth0.readiness.checks.tenant import major

EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$")
#: npm packages with published advisories below these versions (lodash CVE-2021-23337,
#: axios CVE-2023-45857, jsonwebtoken CVE-2022-23529, node-fetch CVE-2022-0235, minimist CVE-2021-44906)
VULNERABLE_BELOW = {
    "lodash": (4, 17, 21),
    "axios": (1, 6, 0),
    "jsonwebtoken": (9, 0, 0),
    "node-fetch": (2, 6, 7),
    "minimist": (1, 2, 6),
}
PASSWORD_RESET_TRIGGER = "password-reset-post-challenge"
SIGNUP_TRIGGER = "pre-user-registration"
DENY_CALL = re.compile(r"api\.access\.deny\s*\(([^)]*)\)", re.S)
ENUMERATING = re.compile(r"already|exist|registered|in use|taken|duplicate", re.I)
MFA_CALLS = ("api.authentication.challengeWith", "api.multifactor.enable")


@check(
    "actions_node_runtime",
    "Actions use a recommended Node.js runtime",
    "critical",
    reads=("actions",),
    fix="upgrade them to a recommended runtime (readiness.recommended_node_runtimes) and redeploy",
    anchor="checkActionsRuntime",
)
def actions_node_runtime(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Every action's ``runtime`` is in ``readiness.recommended_node_runtimes``."""
    wanted = {major(r) for r in config.recommended_node_runtimes}
    old = [
        f"{name(a)}={a.get('runtime')}"
        for a in snapshot.actions
        if major(str(a.get("runtime", ""))) not in wanted
    ]
    if old:
        return bad(f"outdated runtimes: {', '.join(old)}")
    return ok(f"{len(snapshot.actions)} actions on node {', '.join(sorted(wanted))}")


@check(
    "actions_no_hardcoded_secrets",
    "Actions hold no hard-coded secrets",
    "critical",
    reads=("actions",),
    fix="move keys, tokens and passwords into Action secrets (event.secrets.NAME)",
    anchor="checkActionsHardCodedValues",
)
def actions_no_hardcoded_secrets(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """No credential-looking literal in any action's ``code``."""
    found = [
        f"{name(a)}: {', '.join(hits)}"
        for a in snapshot.actions
        for hits in [secret_literals(str(a.get("code") or ""))]
        if hits
    ]
    if found:
        return bad(f"hard-coded secrets in {listing(found)}")
    return ok(f"{len(snapshot.actions)} actions scanned, no secret literal")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def dependency_problem(dep: dict[str, Any]) -> str | None:
    """Why an action dependency is unsafe: not pinned to an exact version, or below an advisory's fix."""
    dep_name, version = str(dep.get("name")), str(dep.get("version") or "")
    if not EXACT_VERSION.match(version):
        return f"{dep_name}@{version or 'latest'} not pinned"
    fixed = VULNERABLE_BELOW.get(dep_name)
    if fixed and _version(version) < fixed:
        return f"{dep_name}@{version} has a known advisory (fixed in {'.'.join(map(str, fixed))})"
    return None


@check(
    "actions_dependencies",
    "Action dependencies are pinned and free of known advisories",
    "recommended",
    reads=("actions",),
    fix="pin every dependency to an exact, patched version and redeploy the action",
    anchor="checkDependencies",
)
def actions_dependencies(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Every ``dependencies[]`` entry has an exact version not below a known advisory fix."""
    deps = [(a, d) for a in snapshot.actions for d in a.get("dependencies") or [] if isinstance(d, dict)]
    found = [f"{name(a)}: {why}" for a, d in deps for why in [dependency_problem(d)] if why]
    if found:
        return bad(listing(found))
    return ok(f"{len(deps)} dependencies of {len(snapshot.actions)} actions pinned, no known advisory")


@check(
    "actions_password_reset_mfa",
    "The password-reset flow challenges MFA",
    "recommended",
    reads=("connections", "actions", "action_bindings"),
    fix=f"bind a {PASSWORD_RESET_TRIGGER} Action calling api.authentication.challengeWith",
    anchor="checkPasswordResetMFA",
)
def actions_password_reset_mfa(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """With password databases, an Action bound to the password-reset trigger challenges a factor."""
    password_dbs = [
        db
        for db in databases(snapshot)
        if ((options(db).get("authentication_methods") or {}).get("password") or {}).get("enabled", True)
    ]
    if not password_dbs:
        return ok("no database connection with passwords")
    bound = bound_actions(snapshot, PASSWORD_RESET_TRIGGER)
    challenging = names(a for a in bound if any(call in str(a.get("code") or "") for call in MFA_CALLS))
    if not challenging:
        found = ", ".join(names(bound)) or "no action"
        return bad(f"{PASSWORD_RESET_TRIGGER} has {found} challenging MFA")
    return ok(f"{', '.join(challenging)} challenges MFA on password reset")


def enumerating_denials(code: str) -> list[str]:
    """``api.access.deny(...)`` calls whose message tells whether an account exists."""
    return [" ".join(args.split())[:80] for args in DENY_CALL.findall(code) if ENUMERATING.search(args)]


@check(
    "actions_no_user_enumeration",
    "Signup Actions do not reveal whether an account exists",
    "recommended",
    reads=("actions",),
    fix='deny signups with a neutral message ("We could not create your account") and log the reason instead',
    anchor="checkUserEnumeration",
)
def actions_no_user_enumeration(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """No pre-user-registration Action denies with a message about an existing account."""
    signup = [
        a
        for a in snapshot.actions
        if any(t.get("id") == SIGNUP_TRIGGER for t in a.get("supported_triggers") or [])
    ]
    found = [
        f"{name(a)}: deny({hit})" for a in signup for hit in enumerating_denials(str(a.get("code") or ""))
    ]
    if found:
        return bad(f"signup denial reveals existing accounts: {listing(found)}")
    return ok(f"{len(signup)} {SIGNUP_TRIGGER} Actions checked, no enumerating denial")


def _none_enabled(rows: list[dict[str, Any]], kind: str) -> Verdict:
    enabled = names(r for r in rows if r.get("enabled"))
    if enabled:
        return bad(f"enabled {kind}: {', '.join(enabled)}")
    return ok(f"no enabled {kind} ({len(rows)} in all)")


@check(
    "rules_migrated",
    "Rules are migrated to Actions",
    "critical",
    reads=("rules",),
    fix="migrate these rules to Actions and disable them",
    anchor="checkRules",
)
def rules_migrated(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """No enabled rule."""
    return _none_enabled(snapshot.rules, "rules")


@check(
    "hooks_migrated",
    "Hooks are migrated to Actions",
    "critical",
    reads=("hooks",),
    fix="migrate these hooks to Actions and disable them",
    anchor="checkHooks",
)
def hooks_migrated(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """No enabled hook."""
    return _none_enabled(snapshot.hooks, "hooks")
