"""What the readiness checks read from a tenant (:class:`TenantSnapshot`, filled by
:mod:`otel_auth0.auth0.tenant_reader`) and the single reads and jobs they send, all through Auth0's SDK
(:mod:`otel_auth0.auth0.sdk`: requests one at a time, rate limits waited out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from otel_auth0.auth0.management import Auth0Error
from otel_auth0.auth0.ratelimit import RateLimit
from otel_auth0.auth0.sdk import SdkSession, as_dict, call


@dataclass
class TenantSnapshot:
    """Everything the production checks read; ``None`` marks an endpoint the tenant answered 404 to,
    ``errors`` maps a path to why it could not be read (missing scope, ...), ``unavailable`` maps a path
    to why the tenant's plan does not offer it (403 other than a missing scope)."""

    settings: dict[str, Any] = field(default_factory=dict)
    clients: list[dict[str, Any]] = field(default_factory=list)
    client_grants: list[dict[str, Any]] = field(default_factory=list)
    connections: list[dict[str, Any]] = field(default_factory=list)
    resource_servers: list[dict[str, Any]] = field(default_factory=list)
    email_provider: dict[str, Any] | None = None
    email_templates: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    attack_protection: dict[str, dict[str, Any]] = field(default_factory=dict)
    log_streams: list[dict[str, Any]] = field(default_factory=list)
    event_streams: list[dict[str, Any]] = field(default_factory=list)
    network_acls: list[dict[str, Any]] = field(default_factory=list)
    custom_domains: list[dict[str, Any]] = field(default_factory=list)
    guardian_factors: list[dict[str, Any]] = field(default_factory=list)
    guardian_policies: list[str] = field(default_factory=list)
    phone_provider: dict[str, Any] | None = None
    prompts: dict[str, Any] = field(default_factory=dict)
    branding: dict[str, Any] | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    action_bindings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rules: list[dict[str, Any]] = field(default_factory=list)
    hooks: list[dict[str, Any]] = field(default_factory=list)
    rate_limits: list[RateLimit] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


def send_verification_email(session: SdkSession, user_id: str) -> dict[str, Any]:
    """``POST /api/v2/jobs/verification-email``; returns the job."""
    return as_dict(call(lambda: session.api.jobs.verification_email.create(user_id=user_id)))


def newest_log(session: SdkSession) -> dict[str, Any] | None:
    """The tenant's most recent log event."""
    page = call(lambda: session.api.logs.list(page=0, per_page=1, sort="date:-1", include_totals=True))
    return as_dict(page.items[0]) if page.items else None


def get_log(session: SdkSession, log_id: str) -> dict[str, Any] | None:
    """One log event by id (``None`` once it left the retention window)."""
    try:
        return as_dict(call(lambda: session.api.logs.get(log_id)))
    except Auth0Error as error:
        if error.status == 404:
            return None
        raise
