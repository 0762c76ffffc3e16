"""Steps of monitoring.feature, service_status.feature and notifications.feature."""

from __future__ import annotations

from pytest_bdd import then

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.readiness.monitoring import check_telemetry_export, check_testall
from otel_auth0.readiness.notifications import check_bulletin_watcher, check_watchers
from otel_auth0.readiness.service_status import check_idps, check_status_feed
from otel_auth0.readiness.steps.assertions import expect
from otel_auth0.readiness.steps.common import require_reads
from otel_auth0.readiness.synthetic_login import check_synthetic_login
from otel_auth0.readiness.target import ReadinessTarget


@then("the synthetic login succeeds within the probe threshold")
def synthetic_login(target: ReadinessTarget) -> None:
    """Probe runs succeed within ``thresholds.probe_p95_s``."""
    expect(check_synthetic_login(target.config, target.readiness.thresholds.probe_p95_s))


@then("/testall answers OK")
def testall(target: ReadinessTarget) -> None:
    """``/testall`` is up."""
    expect(check_testall(target.config))


@then("a test span is accepted by the configured OTLP endpoint")
def telemetry(target: ReadinessTarget) -> None:
    """OTLP export works."""
    expect(check_telemetry_export(target.config))


@then("the status feed is reachable and watched")
def status_feed(target: ReadinessTarget) -> None:
    """Status feed gate."""
    expect(check_status_feed(target.config))


@then("every external identity provider is reachable")
def idps(readiness_target: ReadinessTarget, snapshot: TenantSnapshot) -> None:
    """External IdP gate."""
    require_reads(snapshot, "connections")
    expect(
        check_idps(readiness_target.config, snapshot.connections, readiness_target.readiness.external_idps)
    )


@then("the changelog, status and IP-range watchers are configured")
def watchers(target: ReadinessTarget) -> None:
    """Watcher gate."""
    expect(check_watchers(target.config))


@then("security bulletins and SDK advisories are watched")
def bulletins(target: ReadinessTarget) -> None:
    """Bulletin watcher gate."""
    expect(check_bulletin_watcher(target.config))
