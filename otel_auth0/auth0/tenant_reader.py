"""The readiness suite's read of a tenant's configuration, through Auth0's SDK, every list to its end.

Offset lists (clients, resource servers, actions, bindings, rules, hooks, network ACLs) are read with
``page`` / ``per_page=100`` / ``include_totals``; checkpoint lists (connections, client grants, event
streams) with ``from`` / ``take=100``. A 404 gives ``None``; a 403 saying the plan lacks the feature is
noted as ``unavailable`` (and read as empty); any other refusal (a missing scope, ...) is an error of
the snapshot, which fails only the checks that need that read.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from otel_auth0.auth0.management import Auth0Error
from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.auth0.sdk import PAGE_SIZE, SdkSession, as_dict, call, dicts, every_item

T = TypeVar("T")
ATTACK_PROTECTION = (
    "brute-force-protection",
    "suspicious-ip-throttling",
    "breached-password-detection",
    "bot-detection",
    "captcha",
)
BOUND_TRIGGERS = (
    "post-login",
    "credentials-exchange",
    "pre-user-registration",
    "post-user-registration",
    "password-reset-post-challenge",
)
# How Auth0 words a 403 for a feature the tenant's plan lacks (any other 403, e.g. a missing scope, is
# an error of the snapshot).
PLAN_LACKS = ("upgrade your subscription", "not enabled for this tenant")


class _Reader:
    def __init__(self, session: SdkSession, snapshot: TenantSnapshot) -> None:
        self.api = session.api
        self.snapshot = snapshot

    def read(self, path: str, work: Callable[[], T]) -> T | None:
        """``work()``; ``None`` on 404 and on 403 (recorded as an error or as unavailable)."""
        try:
            return call(work)
        except Auth0Error as error:
            if error.status == 404:
                return None
            if error.status == 403 and any(words in str(error) for words in PLAN_LACKS):
                self.snapshot.unavailable[path] = str(error)
            else:
                self.snapshot.errors[path] = str(error)
            return None

    def model(self, path: str, work: Callable[[], Any]) -> dict[str, Any] | None:
        """One object endpoint as Auth0's JSON."""
        value = self.read(path, work)
        return as_dict(value) if value is not None else None

    def rows(self, path: str, work: Callable[[], Any]) -> list[dict[str, Any]] | None:
        """Every row of a paginated list endpoint."""
        value = self.read(path, lambda: every_item(work()))
        return dicts(value) if value is not None else None


def read_tenant(session: SdkSession, template_names: list[str]) -> TenantSnapshot:
    """Read the tenant configuration every production check needs."""
    snap = TenantSnapshot()
    r = _Reader(session, snap)
    api = session.api
    offset = {"page": 0, "per_page": PAGE_SIZE, "include_totals": True}
    snap.settings = r.model("/api/v2/tenants/settings", lambda: api.tenants.settings.get()) or {}
    # is_global=false: every tenant also has Auth0's "All Applications" client, not an application
    applications = {**offset, "is_global": False}
    snap.clients = r.rows("/api/v2/clients", lambda: api.clients.list(**applications)) or []
    snap.client_grants = r.rows("/api/v2/client-grants", lambda: api.client_grants.list(take=PAGE_SIZE)) or []
    snap.connections = r.rows("/api/v2/connections", lambda: api.connections.list(take=PAGE_SIZE)) or []
    snap.resource_servers = (
        r.rows("/api/v2/resource-servers", lambda: api.resource_servers.list(**offset)) or []
    )
    snap.email_provider = r.model("/api/v2/emails/provider", lambda: api.emails.provider.get())
    for name in template_names:
        path = f"/api/v2/email-templates/{name}"
        snap.email_templates[name] = r.model(path, partial(api.email_templates.get, name))
    protection = api.attack_protection
    readers: dict[str, Callable[[], Any]] = {
        "brute-force-protection": protection.brute_force_protection.get,
        "suspicious-ip-throttling": protection.suspicious_ip_throttling.get,
        "breached-password-detection": protection.breached_password_detection.get,
        "bot-detection": protection.bot_detection.get,
        "captcha": protection.captcha.get,
    }
    for part in ATTACK_PROTECTION:
        snap.attack_protection[part] = r.model(f"/api/v2/attack-protection/{part}", readers[part]) or {}
    snap.log_streams = dicts(r.read("/api/v2/log-streams", api.log_streams.list))
    snap.event_streams = (
        r.rows("/api/v2/event-streams", lambda: api.event_streams.list(take=PAGE_SIZE)) or []
    )
    snap.network_acls = r.rows("/api/v2/network-acls", lambda: api.network_acls.list(**offset)) or []
    snap.custom_domains = dicts(r.read("/api/v2/custom-domains", api.custom_domains.list))
    snap.guardian_factors = dicts(r.read("/api/v2/guardian/factors", api.guardian.factors.list))
    policies = r.read("/api/v2/guardian/policies", api.guardian.policies.list)
    snap.guardian_policies = [str(p) for p in policies or []]
    snap.phone_provider = r.model(
        "/api/v2/guardian/factors/phone/selected-provider", api.guardian.factors.phone.get_selected_provider
    )
    snap.prompts = r.model("/api/v2/prompts", api.prompts.get_settings) or {}
    snap.branding = r.model("/api/v2/branding", api.branding.get)
    actions = {"page": 0, "per_page": PAGE_SIZE}
    snap.actions = r.rows("/api/v2/actions/actions", lambda: api.actions.list(**actions)) or []
    for trigger in BOUND_TRIGGERS:
        path = f"/api/v2/actions/triggers/{trigger}/bindings"
        bindings = r.rows(path, partial(api.actions.triggers.bindings.list, trigger, **actions))
        snap.action_bindings[trigger] = bindings or []
    snap.rules = r.rows("/api/v2/rules", lambda: api.rules.list(**offset)) or []
    snap.hooks = r.rows("/api/v2/hooks", lambda: api.hooks.list(**offset)) or []
    snap.rate_limits = list(session.stats.rate_limits)
    return snap
