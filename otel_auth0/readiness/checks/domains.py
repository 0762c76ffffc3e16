"""Custom domain, canonical-domain blocking and network ACLs."""

from __future__ import annotations

from typing import Any

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessConfig
from otel_auth0.readiness.checks.registry import Verdict, bad, check, ok


def _ready(snapshot: TenantSnapshot) -> list[str]:
    return [str(d.get("domain")) for d in snapshot.custom_domains if d.get("status") == "ready"]


def _active(snapshot: TenantSnapshot) -> list[dict[str, Any]]:
    return [a for a in snapshot.network_acls if a.get("active")]


@check(
    "custom_domain",
    "A custom domain is ready",
    "recommended",
    reads=("custom_domains",),
    fix="add and verify a custom domain (Branding > Custom Domains)",
    anchor="checkCustomDomain",
)
def custom_domain(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """A custom domain with ``status == "ready"``."""
    ready = _ready(snapshot)
    if not ready:
        states = ", ".join(f"{d.get('domain')}={d.get('status')}" for d in snapshot.custom_domains)
        return bad(f"no custom domain in status ready ({states or 'none configured'})")
    return ok(f"ready: {', '.join(ready)}")


@check(
    "canonical_domain_blocked",
    "With a custom domain, logins on the canonical domain are blocked",
    "recommended",
    reads=("custom_domains", "network_acls"),
    fix="add an active network ACL rule blocking scope authentication on the tenant's canonical domain",
    anchor="checkBlockCanonicalDomain, checkCanonicalDomain",
)
def canonical_domain_blocked(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """An active ``authentication`` rule with ``action.block`` on a hostname that is not a custom domain."""
    ready = set(_ready(snapshot))
    if not ready:
        return ok("no custom domain: the canonical domain is the login domain")
    for acl in _active(snapshot):
        rule = acl.get("rule") or {}
        hosts = set(((rule.get("match") or {}).get("hostnames")) or [])
        if (
            rule.get("scope") == "authentication"
            and (rule.get("action") or {}).get("block")
            and hosts - ready
        ):
            return ok(
                f"rule {acl.get('description') or acl.get('id')} blocks {', '.join(sorted(hosts - ready))}"
            )
    return bad(
        f"custom domain {', '.join(sorted(ready))} ready but the canonical domain still accepts logins"
    )


@check(
    "network_acl",
    "Tenant network ACLs are in place",
    "recommended",
    reads=("network_acls",),
    fix="define Tenant Access Control List rules (Security > Network ACL)",
    anchor="checkNetworkACL",
)
def network_acl(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """At least one active network ACL."""
    active = _active(snapshot)
    if not active:
        return bad(f"no active network ACL ({len(snapshot.network_acls)} configured)")
    return ok(f"{len(active)} active network ACLs")


@check(
    "mgmt_api_acl",
    "A network ACL restricts the Management API",
    "recommended",
    reads=("network_acls",),
    fix="add an active network ACL rule with scope management allowing only your admin networks",
    anchor="checkManagementAPIACL",
)
def mgmt_api_acl(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """An active ACL whose ``rule.scope`` is ``management`` (or ``tenant``)."""
    scoped = [a for a in _active(snapshot) if (a.get("rule") or {}).get("scope") in ("management", "tenant")]
    if not scoped:
        return bad("no active network ACL covers the Management API")
    return ok(f"{len(scoped)} active rules cover the Management API")
