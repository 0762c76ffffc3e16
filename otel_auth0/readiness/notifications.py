"""Notification gates: the changelog, status and IP-range watchers are configured."""

from __future__ import annotations

from otel_auth0.config import Config
from otel_auth0.readiness.result import CheckResult, failed, passed


def check_watchers(config: Config) -> CheckResult:
    """``receivers.status`` and ``receivers.notices`` are on (unset URLs mean Auth0's defaults)."""
    title = "Changelog, status and IP-range watchers are configured"
    checked = "receivers.status, receivers.notices (changelog and IP ranges)"
    receivers = config.receivers
    missing = []
    if receivers.status is None:
        missing.append("receivers.status")
    if receivers.notices is None:
        missing.append("receivers.notices")
    if missing:
        return failed(
            "watchers",
            title,
            checked,
            f"not watched: {', '.join(missing)}",
            "add them to the collector configuration (see docs/configuration.md) and run otel-auth0 run",
        )
    return passed("watchers", title, checked, "status, changelog and IP ranges are watched")
