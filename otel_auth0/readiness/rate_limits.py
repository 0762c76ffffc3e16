"""Rate-limit gates: no rate-limit events in the window, and Management API headroom above a floor."""

from __future__ import annotations

from otel_auth0.auth0.ratelimit import RateLimit
from otel_auth0.config import ReadinessThresholds
from otel_auth0.readiness.result import CheckResult, failed, passed, skipped
from otel_auth0.readiness.scan import ScanReport


def check_rate_limit_events(report: ScanReport, thresholds: ReadinessThresholds) -> CheckResult:
    """At most ``thresholds.rate_limit_events`` rate-limit events (``api_limit``, ``limit_*``, …)."""
    title = f"No rate-limit events in the last {thresholds.rate_limit_window_h:g} hours"
    checked = f"{report.events} tenant log events, {report.span()}"
    group = report.rate_limit
    unread = report.unread()
    if unread:
        return failed(
            "rate_limit_events",
            title,
            checked,
            f"{group.total} rate-limit events in the part read, but {unread}",
            "run the readiness suite again when the Management API budget has room "
            "(otel-auth0 scan --since shows the window), or lower thresholds.rate_limit_window_h",
        )
    if group.total > thresholds.rate_limit_events:
        by_type = ", ".join(f"{code} x{count}" for code, count in group.by["type"].most_common())
        clients = ", ".join(name for name, _ in group.by["client"].most_common(3))
        return failed(
            "rate_limit_events",
            title,
            checked,
            f"{group.total} rate-limit events ({by_type}; clients: {clients})",
            "reduce or spread the calls of these clients (cache tokens and Management API reads), "
            "or raise the limits with Auth0",
        )
    return passed("rate_limit_events", title, checked, f"{group.total} rate-limit events")


def check_headroom(sample: RateLimit | None, thresholds: ReadinessThresholds) -> CheckResult:
    """``x-ratelimit-remaining / x-ratelimit-limit`` of the first Management API answer is above the floor."""
    title = "Management API rate-limit headroom is above the floor"
    checked = "x-ratelimit-* headers of the first Management API response of this run"
    if sample is None or not sample.limit or sample.remaining is None:
        return skipped("rate_limit_headroom", title, checked, "the tenant sent no x-ratelimit headers")
    share = sample.remaining / sample.limit
    evidence = f"{sample.remaining} of {sample.limit} requests left ({share:.0%})"
    if share < thresholds.rate_limit_headroom:
        return failed(
            "rate_limit_headroom",
            title,
            checked,
            f"only {evidence}, floor {thresholds.rate_limit_headroom:.0%}",
            "find the client spending the Management API budget (otel-auth0 scan) and cache its reads",
        )
    return passed("rate_limit_headroom", title, checked, evidence)
