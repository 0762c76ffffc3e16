"""Steps of email.feature."""

from __future__ import annotations

import pytest
from pytest_bdd import given, then, when

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.readiness.checks import run_check
from otel_auth0.readiness.email_checks import (
    check_from_address,
    check_provider_host,
    check_smtp_handshake,
    check_verification_delivery,
)
from otel_auth0.readiness.result import CheckResult
from otel_auth0.readiness.steps.assertions import expect
from otel_auth0.readiness.steps.common import require_reads
from otel_auth0.readiness.target import ReadinessTarget


@then("a custom email provider is configured")
def custom_provider(readiness_target: ReadinessTarget, snapshot: TenantSnapshot) -> None:
    """Not the built-in test provider."""
    expect(run_check("email_provider", snapshot, readiness_target.readiness))


@then("a from-address of our own is set")
def from_address(readiness_target: ReadinessTarget, snapshot: TenantSnapshot) -> None:
    """From-address gate."""
    smtp = readiness_target.smtp
    require_reads(snapshot, "email_provider")
    expect(check_from_address(snapshot, smtp.from_address if smtp else None))


@then("the email provider's SMTP host is reachable")
def provider_host(snapshot: TenantSnapshot) -> None:
    """The provider's SMTP host accepts TCP."""
    require_reads(snapshot, "email_provider")
    expect(check_provider_host(snapshot))


@given("the SMTP server of the readiness configuration", target_fixture="target")
def smtp_server(readiness_target: ReadinessTarget) -> ReadinessTarget:
    """``readiness.smtp`` must be configured."""
    if readiness_target.smtp is None:
        pytest.skip("readiness.smtp is not configured")
    return readiness_target


@then("EHLO, STARTTLS and AUTH succeed with the configured credentials")
def handshake(target: ReadinessTarget, snapshot: TenantSnapshot) -> None:
    """SMTP session gate, against the tenant's own provider."""
    require_reads(snapshot, "email_provider")
    expect(check_smtp_handshake(target, snapshot))


@when("a verification email is triggered through the Management API", target_fixture="delivery")
def trigger(target: ReadinessTarget) -> CheckResult:
    """Trigger and wait for the email (the outcome is asserted by the next step)."""
    return check_verification_delivery(target)


@then("it is delivered to the test mailbox with the tenant's custom template")
def delivered(delivery: CheckResult) -> None:
    """Delivery gate."""
    expect(delivery)
