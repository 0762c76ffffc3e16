"""Helpers shared by the check modules: names, URL shapes, application kinds, secret literals."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.masking import find_secrets

LOCAL_HOSTS = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^/@]*@)?(localhost|127\.\d+\.\d+\.\d+|\[::1\])(?:[:/]|$)", re.I
)
INTERACTIVE_APP_TYPES = ("spa", "regular_web", "native")
PUBLIC_APP_TYPES = ("spa", "native")
STRONG_ALGS = ("RS256", "PS256")
MANAGEMENT_AUDIENCE_SUFFIX = "/api/v2/"
SHOWN = 5


def name(row: dict[str, Any]) -> str:
    """A row's display name."""
    return str(row.get("name") or row.get("client_id") or row.get("id") or "?")


def names(rows: Iterable[dict[str, Any]]) -> list[str]:
    """Display names of ``rows``."""
    return [name(row) for row in rows]


def listing(items: list[str]) -> str:
    """``a, b, c …`` (at most :data:`SHOWN` items)."""
    return ", ".join(items[:SHOWN]) + (f" … ({len(items)} in all)" if len(items) > SHOWN else "")


def flags(snapshot: TenantSnapshot) -> dict[str, Any]:
    """Tenant ``flags``."""
    value = snapshot.settings.get("flags")
    return value if isinstance(value, dict) else {}


def options(row: dict[str, Any]) -> dict[str, Any]:
    """A connection's ``options``."""
    value = row.get("options")
    return value if isinstance(value, dict) else {}


def interactive(snapshot: TenantSnapshot) -> list[dict[str, Any]]:
    """Applications users log in to (SPA, regular web, native)."""
    return [c for c in snapshot.clients if c.get("app_type") in INTERACTIVE_APP_TYPES]


def databases(snapshot: TenantSnapshot) -> list[dict[str, Any]]:
    """Auth0 database connections."""
    return [c for c in snapshot.connections if c.get("strategy") == "auth0"]


def unsafe_url(url: str, *, allow_custom_scheme: bool = False) -> str | None:
    """Why ``url`` should not be allowed on a production application, or ``None``."""
    if "*" in url:
        return "wildcard"
    if LOCAL_HOSTS.match(url):
        return "localhost"
    scheme = urlsplit(url).scheme.lower()
    if scheme == "https" or (allow_custom_scheme and scheme not in ("http", "")):
        return None
    return f"{scheme or 'no'} scheme"


def secret_literals(code: str) -> list[str]:
    """Credential-looking literals in ``code``, by kind and length only (reports never repeat them)."""
    return [f"{kind} ({len(secret)} chars)" for kind, secret in find_secrets(code)]


def bound_actions(snapshot: TenantSnapshot, trigger: str) -> list[dict[str, Any]]:
    """Actions bound to ``trigger`` (deployed in its flow), with their code from ``actions``."""
    by_id = {a.get("id"): a for a in snapshot.actions}
    by_name = {a.get("name"): a for a in snapshot.actions}
    out = []
    for binding in snapshot.action_bindings.get(trigger, []):
        ref = binding.get("action") or {}
        action = by_id.get(ref.get("id")) or by_name.get(ref.get("name") or binding.get("display_name"))
        out.append(action or ref)
    return out
