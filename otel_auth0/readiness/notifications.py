"""Notification gates: the changelog, status and IP-range watchers are configured; security bulletins
and the advisories of the team's Auth0 SDKs are watched."""

from __future__ import annotations

from otel_auth0.config import Config
from otel_auth0.readiness.result import CheckResult, failed, passed
from otel_auth0.receivers.notices import NoticesConfig


def check_watchers(config: Config) -> CheckResult:
    """``receivers.status`` and ``receivers.notices`` are on (unset URLs mean Auth0's defaults)."""
    title = "Changelog, status and IP-range watchers are configured"
    checked = "receivers.status, receivers.notices (changelog and IP ranges)"
    missing = [f"receivers.{name}" for name in ("status", "notices") if name not in config.receivers]
    if missing:
        return failed(
            "watchers",
            title,
            checked,
            f"not watched: {', '.join(missing)}",
            "add them to the collector configuration (see docs/configuration.md) and run otel-auth0 run",
        )
    return passed("watchers", title, checked, "status, changelog and IP ranges are watched")


def check_bulletin_watcher(config: Config) -> CheckResult:
    """``receivers.notices`` watches Auth0's security bulletins; the SDKs it follows are the evidence."""
    title = "Security bulletins and SDK advisories are watched"
    checked = "receivers.notices security_bulletins, sdks"
    watcher = config.receivers.section(NoticesConfig)
    if watcher is None or not watcher.security_bulletins:
        return failed(
            "security_bulletins",
            title,
            checked,
            "receivers.notices is not configured" if watcher is None else "security_bulletins is false",
            "add receivers.notices (security_bulletins: true) and list your SDKs in receivers.notices.sdks",
        )
    sdks = ", ".join(watcher.sdks) or "none declared (add them to receivers.notices.sdks)"
    return passed("security_bulletins", title, checked, f"bulletins watched; SDK advisories: {sdks}")
