"""Scan reports: the new groups, the span read, and the rate-limit gate on a scan cut short."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from otel_auth0.auth0.log_window import WindowRead
from otel_auth0.config import ReadinessThresholds
from otel_auth0.readiness.rate_limits import check_rate_limit_events
from otel_auth0.readiness.scan import summarize, summarize_window

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = SINCE + timedelta(hours=24)


def event(kind: str, hours: float) -> dict[str, object]:
    stamp = (SINCE + timedelta(hours=hours)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"type": kind, "date": stamp, "client_name": "Portal"}


def test_groups_email_failures_deprecations_and_warnings() -> None:
    events = [event("fn", 1), event("fv", 2), event("depnote", 3), event("w", 4), event("limit_wc", 5)]
    report = summarize([*events, event("fn", 30)], SINCE, UNTIL)
    assert report.events == 5 and report.complete
    assert report.email_failures.by["type"] == {"fn": 1, "fv": 1}
    assert (report.deprecations.total, report.warnings.total, report.rate_limit.total) == (1, 1, 1)
    assert report.span() == f"{SINCE.isoformat()} to {UNTIL.isoformat()}"
    assert check_rate_limit_events(report, ReadinessThresholds(rate_limit_events=1)).status == "pass"


def test_a_scan_cut_short_fails_the_rate_limit_gate_and_names_the_unread_part() -> None:
    read = WindowRead(SINCE, UNTIL, [event("s", 1)], SINCE + timedelta(hours=1), "answered 429")
    report = summarize_window(read)
    unread = report.unread()
    assert unread is not None and "2026-01-01T01:00:00+00:00 to 2026-01-02T00:00:00+00:00" in unread
    result = check_rate_limit_events(report, ReadinessThresholds(rate_limit_events=100))
    assert (
        result.status == "fail" and "were not read" in str(result.evidence) and "429" in str(result.evidence)
    )
    assert report.as_json()["complete"] is False
