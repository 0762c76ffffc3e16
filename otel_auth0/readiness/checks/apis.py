"""Resource servers (APIs): signing, token lifetime, authorization policy, sender-constrained tokens,
and who may call the Management API."""

from __future__ import annotations

from typing import Any

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessConfig
from otel_auth0.readiness.checks.common import (
    MANAGEMENT_AUDIENCE_SUFFIX,
    STRONG_ALGS,
    bound_actions,
    listing,
    name,
    names,
)
from otel_auth0.readiness.checks.registry import Verdict, bad, check, ok

MAX_TOKEN_LIFETIME_S = 86400  # Auth0's default access-token lifetime


def custom_apis(snapshot: TenantSnapshot) -> list[dict[str, Any]]:
    """The tenant's own APIs (not the system Management API)."""
    return [r for r in snapshot.resource_servers if not r.get("is_system")]


@check(
    "api_signing_alg",
    "APIs sign access tokens with RS256 or PS256",
    "recommended",
    reads=("resource_servers",),
    fix="switch these APIs to RS256 (APIs > Settings > Signing Algorithm)",
    anchor="checkAPISigningAlgorithm",
)
def api_signing_alg(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``signing_alg`` of every custom API is RS256 or PS256."""
    weak = [
        f"API {name(r)}={r.get('signing_alg')}"
        for r in custom_apis(snapshot)
        if r.get("signing_alg", "RS256") not in STRONG_ALGS
    ]
    if weak:
        return bad(f"HS256 or other symmetric signing used by {', '.join(weak)}")
    return ok(f"{len(custom_apis(snapshot))} APIs sign with {'/'.join(STRONG_ALGS)}")


@check(
    "api_token_lifetime",
    "Access tokens live at most 24 hours",
    "recommended",
    reads=("resource_servers",),
    fix=f"lower token_lifetime to {MAX_TOKEN_LIFETIME_S} s or less and use refresh tokens",
    anchor="checkAPITokenLifetime",
)
def api_token_lifetime(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``token_lifetime`` <= :data:`MAX_TOKEN_LIFETIME_S` on every custom API."""
    long = [
        f"{name(r)}={r.get('token_lifetime')}s"
        for r in custom_apis(snapshot)
        if int(r.get("token_lifetime") or MAX_TOKEN_LIFETIME_S) > MAX_TOKEN_LIFETIME_S
    ]
    if long:
        return bad(f"long-lived access tokens: {listing(long)}")
    return ok(f"{len(custom_apis(snapshot))} APIs issue tokens for at most {MAX_TOKEN_LIFETIME_S} s")


@check(
    "api_rbac",
    "APIs enforce RBAC and require client grants",
    "recommended",
    reads=("resource_servers",),
    fix="turn on Enable RBAC (and Add Permissions in the Access Token); require client grants for "
    "machine-to-machine access",
    anchor="checkAPIAuthorizationPolicy",
)
def api_rbac(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``enforce_policies`` on and ``subject_type_authorization.client.policy`` is not ``allow_all``."""
    found = []
    for r in custom_apis(snapshot):
        client_policy = ((r.get("subject_type_authorization") or {}).get("client") or {}).get("policy")
        if not r.get("enforce_policies"):
            found.append(f"{name(r)} (RBAC off)")
        elif client_policy == "allow_all":
            found.append(f"{name(r)} (any client without a grant)")
    if found:
        return bad(listing(found))
    return ok(f"{len(custom_apis(snapshot))} APIs enforce RBAC")


@check(
    "api_sender_constrained",
    "APIs require sender-constrained tokens (DPoP or mTLS)",
    "recommended",
    reads=("resource_servers",),
    fix="set proof_of_possession {mechanism: dpop or mtls, required: true} on these APIs",
    anchor="checkAPITokenSenderConstraining, checkDPoPResourceServer",
)
def api_sender_constrained(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``proof_of_possession.required`` on every custom API."""
    missing = names(
        r for r in custom_apis(snapshot) if not (r.get("proof_of_possession") or {}).get("required")
    )
    if missing:
        return bad(f"bearer tokens accepted by {', '.join(missing)}")
    mechanisms = sorted(
        {str((r.get("proof_of_possession") or {}).get("mechanism")) for r in custom_apis(snapshot)}
    )
    return ok(
        f"{len(custom_apis(snapshot))} APIs require proof of possession ({', '.join(mechanisms) or 'none'})"
    )


@check(
    "mgmt_api_user_access",
    "Users cannot get Management API tokens without a client grant",
    "critical",
    reads=("resource_servers",),
    fix="set the Management API's user access policy to require_client_grant",
    anchor="checkManagementAPIUserAccess",
)
def mgmt_api_user_access(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """The system ``…/api/v2/`` API: ``subject_type_authorization.user.policy`` is require_client_grant."""
    system = [
        r
        for r in snapshot.resource_servers
        if r.get("is_system") and str(r.get("identifier", "")).endswith(MANAGEMENT_AUDIENCE_SUFFIX)
    ]
    if not system:
        return ok("the Management API is not listed among the resource servers")
    policy = ((system[0].get("subject_type_authorization") or {}).get("user") or {}).get(
        "policy", "allow_all"
    )
    if policy != "require_client_grant":
        return bad(
            f"Management API user policy is {policy}: any application's users can request current_user scopes"
        )
    return ok("Management API user access requires a client grant")


TRANSACTIONAL_MFA = "transactional-authorization-with-mfa"
STEP_UP_CALLS = (
    "api.authentication.challengeWith",
    "api.authentication.challenge(",
    "api.multifactor.enable",
)


@check(
    "api_rar_enforced",
    "APIs with rich authorization requests enforce step-up",
    "recommended",
    reads=("resource_servers", "actions", "action_bindings"),
    fix=f"set consent_policy {TRANSACTIONAL_MFA} or bind a post-login Action that reads "
    "event.transaction.requested_authorization_details and challenges MFA",
    anchor="checkRAR, checkRAREnforcement",
)
def api_rar_enforced(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """APIs declaring ``authorization_details`` have transactional MFA consent or a step-up Action."""
    rar = [r for r in custom_apis(snapshot) if r.get("authorization_details")]
    if not rar:
        return ok("no API declares authorization_details")
    step_up = names(
        a
        for a in bound_actions(snapshot, "post-login")
        if "requested_authorization_details" in str(a.get("code") or "")
        and any(call in str(a.get("code") or "") for call in STEP_UP_CALLS)
    )
    loose = names(r for r in rar if r.get("consent_policy") != TRANSACTIONAL_MFA)
    if loose and not step_up:
        return bad(f"RAR without step-up: {', '.join(loose)}")
    return ok(f"{len(rar)} RAR APIs enforced by {TRANSACTIONAL_MFA if not loose else ', '.join(step_up)}")


@check(
    "api_token_encryption",
    "Encrypted access tokens are configured completely",
    "recommended",
    reads=("resource_servers",),
    fix="set token_encryption.format compact-nested-jwe with an encryption_key on these APIs",
    anchor="checkJWEResourceServer",
)
def api_token_encryption(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Where ``token_encryption`` is set, its format is compact-nested-jwe and a key is registered."""
    encrypted = [r for r in custom_apis(snapshot) if r.get("token_encryption") is not None]
    broken = [
        name(r)
        for r in encrypted
        if (r.get("token_encryption") or {}).get("format") != "compact-nested-jwe"
        or not (r.get("token_encryption") or {}).get("encryption_key")
    ]
    if broken:
        return bad(f"incomplete token encryption: {', '.join(broken)}")
    return ok(f"{len(encrypted)} of {len(custom_apis(snapshot))} APIs encrypt tokens, all completely")
