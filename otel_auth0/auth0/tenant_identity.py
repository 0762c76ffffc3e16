"""The tenant's own name (``tenant_name`` of its log events), read once at start-up.

A domain does not name its tenant reliably: a custom domain (``login.example.com``) or an address
(``127.0.0.1:8443``) says nothing about it. ``auth0.tenant`` in the configuration wins; otherwise the
newest log event, read through the Management API, tells.
"""

from __future__ import annotations

import logging

import httpx

from otel_auth0.auth0.management import Auth0Error, ManagementClient
from otel_auth0.config import Auth0Config

log = logging.getLogger(__name__)


async def read_tenant_name(config: Auth0Config) -> str | None:
    """``tenant_name`` of the newest log event; None without credentials, logs or an answer."""
    if not config.client_id or not config.client_secret:
        return None
    # The collector's own client (as the logs poller's), not the SDK: this runs on the collector's loop.
    client = ManagementClient(config)
    try:
        body = (await client.get("/api/v2/logs", {"sort": "date:-1", "per_page": 1, "page": 0})).body
        rows = body.get("logs") if isinstance(body, dict) else body
        event = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else None
    except (Auth0Error, httpx.HTTPError) as error:
        log.warning("cannot read the tenant's name from its logs (%s); set auth0.tenant", error)
        return None
    finally:
        await client.aclose()
    name = event.get("tenant_name") if event else None
    return name if isinstance(name, str) and name else None


async def settle_tenant_name(config: Auth0Config) -> None:
    """Set ``config.tenant`` from the tenant itself unless configured; log what identifies it."""
    if config.tenant:
        return
    name = await read_tenant_name(config)
    if name is not None:
        config.tenant = name
    elif config.tenant_name is None:
        log.warning(
            "the tenant's name is unknown (no log event to read it from, and %s is not a *.auth0.com "
            "domain): auth0.tenant.name stays off the resource; set auth0.tenant",
            config.domain,
        )
