"""Steps of production_checks.feature, logging.feature and rate_limits.feature."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from pytest_bdd import given, parsers, then

from otel_auth0.auth0.log_window import read_window
from otel_auth0.auth0.management import Auth0Error
from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.readiness.checks import run_check
from otel_auth0.readiness.log_export import (
    check_export_active,
    check_export_lag,
    check_retention,
    read_checkpoint,
)
from otel_auth0.readiness.rate_limits import check_headroom, check_rate_limit_events
from otel_auth0.readiness.scan import ScanReport, summarize_window
from otel_auth0.readiness.steps.assertions import ReadinessFailure, expect
from otel_auth0.readiness.steps.common import require_reads
from otel_auth0.readiness.target import ReadinessTarget

SCAN_TIME_LIMIT = 600.0


@then(parsers.parse('the production check "{check}" passes'))
def production_check(readiness_target: ReadinessTarget, snapshot: TenantSnapshot, check: str) -> None:
    """One of Auth0's production checks."""
    expect(run_check(check, snapshot, readiness_target.readiness))


@then("an active log stream or a fresh poller checkpoint exports the logs")
def export_active(readiness_target: ReadinessTarget, snapshot: TenantSnapshot) -> None:
    """Logs leave the tenant."""
    require_reads(snapshot, "log_streams")
    checkpoint = read_checkpoint(readiness_target.config.state_dir)
    expect(check_export_active(snapshot, checkpoint, readiness_target.readiness))


@then("the export lag is under the threshold")
def export_lag(target: ReadinessTarget) -> None:
    """Poller lag."""
    expect(check_export_lag(target, read_checkpoint(target.config.state_dir)))


@then("export is on when the plan's retention is shorter than required")
def retention(readiness_target: ReadinessTarget, snapshot: TenantSnapshot) -> None:
    """Retention gate."""
    require_reads(snapshot, "log_streams")
    checkpoint = read_checkpoint(readiness_target.config.state_dir)
    expect(check_retention(snapshot, checkpoint, readiness_target.readiness))


@given("the tenant logs of the rate-limit window", target_fixture="scan_report")
def scan_window(readiness_target: ReadinessTarget) -> ScanReport:
    """Tenant logs of ``thresholds.rate_limit_window_h``, summarised."""
    until = datetime.now(UTC)
    since = until - timedelta(hours=readiness_target.readiness.thresholds.rate_limit_window_h)
    deadline = time.monotonic() + SCAN_TIME_LIMIT
    try:
        read = readiness_target.with_client(
            lambda session: read_window(session, since, until, deadline), deadline
        )
    except Auth0Error as error:
        raise ReadinessFailure(
            f"cannot read tenant logs: {error}. Fix: grant read:logs to the readiness application"
        ) from None
    return summarize_window(read)


@then("there are no more rate-limit events than allowed")
def rate_limit_events(readiness_target: ReadinessTarget, scan_report: ScanReport) -> None:
    """Rate-limit events gate."""
    expect(check_rate_limit_events(scan_report, readiness_target.readiness.thresholds))


@then("the Management API rate-limit headroom is above the floor")
def headroom(readiness_target: ReadinessTarget, snapshot: TenantSnapshot) -> None:
    """Headroom gate on the first response of the run."""
    sample = snapshot.rate_limits[0] if snapshot.rate_limits else None
    expect(check_headroom(sample, readiness_target.readiness.thresholds))
