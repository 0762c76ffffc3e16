"""Read-only views of a tenant's configuration through the Management API, for the readiness checks.

Requests go one at a time; a 429 or 5xx is retried with backoff (honouring ``Retry-After`` /
``x-ratelimit-reset``), so reading a whole tenant stays inside its Management API budget.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from otel_auth0.auth0.management import ApiResponse, Auth0Error, ManagementClient
from otel_auth0.auth0.ratelimit import RateLimit

MAX_ATTEMPTS = 5
MAX_WAIT = 30.0
SEARCH_PAGE = 100
SEARCH_CAP = 1000
ATTACK_PROTECTION = (
    "brute-force-protection",
    "suspicious-ip-throttling",
    "breached-password-detection",
    "bot-detection",
    "captcha",
)
BOUND_TRIGGERS = ("post-login", "password-reset-post-challenge")


@dataclass
class TenantSnapshot:
    """Everything the production checks read; ``None`` marks an endpoint the tenant answered 404 to,
    ``errors`` maps a path to why it could not be read (missing scope, ...)."""

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
    actions: list[dict[str, Any]] = field(default_factory=list)
    action_bindings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rules: list[dict[str, Any]] = field(default_factory=list)
    hooks: list[dict[str, Any]] = field(default_factory=list)
    rate_limits: list[RateLimit] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


async def get_with_retry(
    client: ManagementClient, path: str, params: dict[str, str | int] | None = None
) -> ApiResponse:
    """GET ``path``, waiting out rate limits and transient failures (up to :data:`MAX_ATTEMPTS`)."""
    delay = 0.5
    for attempt in range(MAX_ATTEMPTS):
        try:
            return await client.get(path, params)
        except Auth0Error as error:
            if not error.retryable or attempt == MAX_ATTEMPTS - 1:
                raise
            await asyncio.sleep(min(MAX_WAIT, error.retry_after if error.retry_after is not None else delay))
            delay = min(MAX_WAIT, delay * 2)
    raise AssertionError("unreachable")


def _list(body: Any, key: str) -> list[dict[str, Any]]:
    """A list endpoint's rows, whether paged (``{key: [...]}``) or bare."""
    rows = body.get(key, []) if isinstance(body, dict) else body
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


async def _read(snapshot: TenantSnapshot, client: ManagementClient, path: str) -> Any:
    """The body of ``path``; ``None`` on 404; errors other than 404 are recorded and give ``None``."""
    try:
        response = await get_with_retry(client, path)
    except Auth0Error as error:
        if error.status != 404:
            snapshot.errors[path] = str(error)
        return None
    snapshot.rate_limits.append(response.rate_limit)
    return response.body


async def read_tenant(client: ManagementClient, template_names: list[str]) -> TenantSnapshot:
    """Read the tenant configuration every production check needs."""
    snap = TenantSnapshot()
    snap.settings = await _read(snap, client, "/api/v2/tenants/settings") or {}
    snap.clients = _list(await _read(snap, client, "/api/v2/clients"), "clients")
    snap.client_grants = _list(await _read(snap, client, "/api/v2/client-grants"), "client_grants")
    snap.connections = _list(await _read(snap, client, "/api/v2/connections"), "connections")
    snap.resource_servers = _list(await _read(snap, client, "/api/v2/resource-servers"), "resource_servers")
    snap.email_provider = await _read(snap, client, "/api/v2/emails/provider")
    for name in template_names:
        snap.email_templates[name] = await _read(snap, client, f"/api/v2/email-templates/{name}")
    for part in ATTACK_PROTECTION:
        snap.attack_protection[part] = await _read(snap, client, f"/api/v2/attack-protection/{part}") or {}
    snap.log_streams = _list(await _read(snap, client, "/api/v2/log-streams"), "log_streams")
    snap.event_streams = _list(await _read(snap, client, "/api/v2/event-streams"), "eventStreams")
    snap.network_acls = _list(await _read(snap, client, "/api/v2/network-acls"), "network_acls")
    snap.custom_domains = _list(await _read(snap, client, "/api/v2/custom-domains"), "custom_domains")
    snap.guardian_factors = _list(await _read(snap, client, "/api/v2/guardian/factors"), "factors")
    policies = await _read(snap, client, "/api/v2/guardian/policies")
    snap.guardian_policies = [str(p) for p in policies] if isinstance(policies, list) else []
    snap.phone_provider = await _read(snap, client, "/api/v2/guardian/factors/phone/selected-provider")
    snap.prompts = await _read(snap, client, "/api/v2/prompts") or {}
    snap.actions = _list(await _read(snap, client, "/api/v2/actions/actions"), "actions")
    for trigger in BOUND_TRIGGERS:
        path = f"/api/v2/actions/triggers/{trigger}/bindings"
        snap.action_bindings[trigger] = _list(await _read(snap, client, path), "bindings")
    snap.rules = _list(await _read(snap, client, "/api/v2/rules"), "rules")
    snap.hooks = _list(await _read(snap, client, "/api/v2/hooks"), "hooks")
    return snap


async def send_verification_email(client: ManagementClient, user_id: str) -> dict[str, Any]:
    """``POST /api/v2/jobs/verification-email``; returns the job."""
    response = await client.post("/api/v2/jobs/verification-email", {"user_id": user_id})
    return response.body if isinstance(response.body, dict) else {}


async def search_logs_since(client: ManagementClient, since: datetime) -> list[dict[str, Any]]:
    """Tenant log events dated at or after ``since`` (search mode, newest first, at most 1000)."""
    query = f"date:[{since.strftime('%Y-%m-%dT%H:%M:%S.000Z')} TO *]"
    events: list[dict[str, Any]] = []
    for page in range(SEARCH_CAP // SEARCH_PAGE):
        response = await get_with_retry(
            client,
            "/api/v2/logs",
            {"q": query, "sort": "date:-1", "page": page, "per_page": SEARCH_PAGE},
        )
        rows = _list(response.body, "logs")
        events.extend(rows)
        if len(rows) < SEARCH_PAGE:
            break
    return events


async def newest_log(client: ManagementClient) -> dict[str, Any] | None:
    """The tenant's most recent log event."""
    response = await get_with_retry(client, "/api/v2/logs", {"sort": "date:-1", "per_page": 1, "page": 0})
    rows = _list(response.body, "logs")
    return rows[0] if rows else None


async def get_log(client: ManagementClient, log_id: str) -> dict[str, Any] | None:
    """One log event by id (``None`` once it left the retention window)."""
    try:
        response = await get_with_retry(client, f"/api/v2/logs/{log_id}")
    except Auth0Error as error:
        if error.status == 404:
            return None
        raise
    return response.body if isinstance(response.body, dict) else None
