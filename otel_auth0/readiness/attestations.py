"""Manual readiness items (no API exists) read from the attestations file.

Format (YAML)::

    attestations:
      dashboard_admins: {attested_by: alice@example.com, date: 2026-11-20, count: 3}
      security_contact: {attested_by: alice@example.com, date: 2026-11-20, contact: security@example.com}

An item fails when it is missing, has no ``attested_by``, has a date older than ``max_age_days`` (or
in the future), or misses the item's own requirement (``count >= 2`` for ``dashboard_admins``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from otel_auth0.readiness.result import CheckResult, failed, passed


@dataclass(frozen=True)
class ManualItem:
    """A manual check: what to attest and how."""

    key: str
    title: str
    how: str
    requirement: Callable[[dict[str, Any]], str | None] | None = None


def _admins(entry: dict[str, Any]) -> str | None:
    count = entry.get("count")
    if not isinstance(count, int) or count < 2:
        return f"count is {count!r}; at least 2 dashboard admins are needed"
    return None


MANUAL_ITEMS: dict[str, ManualItem] = {
    item.key: item
    for item in (
        ManualItem(
            "dashboard_admins",
            "At least two dashboard admins receive Auth0 notifications",
            "review Dashboard > Settings > Tenant Members; record count",
            _admins,
        ),
        ManualItem(
            "security_contact",
            "A security contact is registered in Auth0's support center",
            "add one at support.auth0.com; record contact",
        ),
        ManualItem(
            "status_subscription",
            "The team is subscribed to Auth0 status updates",
            "subscribe to the tenant's status feed or @auth0status; record channel",
        ),
        ManualItem(
            "environment_tag_production",
            "The tenant's environment tag is Production",
            "set it in Dashboard > Settings > General (or support.auth0.com)",
        ),
        ManualItem(
            "tenant_admin_mfa",
            "Tenant admins use MFA for the dashboard",
            "enable MFA for every tenant member",
        ),
        ManualItem(
            "custom_domain_in_emails",
            "Emails use the custom domain",
            "turn on 'Use Custom Domain in Emails' (Branding > Custom Domains)",
        ),
    )
}


class AttestationsError(ValueError):
    """The attestations file cannot be used."""


def load_attestations(path: Path) -> dict[str, Any]:
    """The ``attestations`` mapping of the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise AttestationsError(f"cannot read attestations file {path}: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise AttestationsError(f"{path} is not valid YAML: {error}") from None
    items = data.get("attestations") if isinstance(data, dict) else None
    if not isinstance(items, dict):
        raise AttestationsError(f"{path}: expected a top-level 'attestations:' mapping")
    return items


def _date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def check_attestation(
    key: str, attestations: dict[str, Any] | None, max_age_days: int, source: str, today: date | None = None
) -> CheckResult:
    """One manual item is attested, fresh and meets its requirement."""
    item = MANUAL_ITEMS[key]
    today = today or datetime.now(UTC).date()
    checked = f"attestations.{key} in {source}"
    fix = f"{item.how}, then record attested_by and date under attestations.{key}"
    if attestations is None:
        return failed(f"attest:{key}", item.title, checked, "no attestations file configured", fix)
    entry = attestations.get(key)
    if not isinstance(entry, dict):
        return failed(f"attest:{key}", item.title, checked, "not attested", fix)
    when = _date(entry.get("date"))
    if not entry.get("attested_by") or when is None:
        return failed(
            f"attest:{key}", item.title, checked, "attested_by or a valid date (YYYY-MM-DD) is missing", fix
        )
    age = (today - when).days
    if age > max_age_days or age < 0:
        problem = (
            f"attested {age} days ago (older than {max_age_days})"
            if age > 0
            else f"dated in the future ({when})"
        )
        return failed(
            f"attest:{key}", item.title, checked, f"stale: {problem}", f"re-check and re-attest: {item.how}"
        )
    if item.requirement is not None and (unmet := item.requirement(entry)):
        return failed(f"attest:{key}", item.title, checked, unmet, fix)
    return passed(
        f"attest:{key}", item.title, checked, {"attested_by": entry["attested_by"], "date": str(when)}
    )
