"""Shared steps and the assertion helper."""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then

from otel_auth0.auth0.management import Auth0Error
from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.readiness.attestations import AttestationsError, check_attestation, load_attestations
from otel_auth0.readiness.checks.registry import refusal
from otel_auth0.readiness.steps.assertions import ReadinessFailure, expect
from otel_auth0.readiness.target import ReadinessTarget, TargetError


@given("the readiness target", target_fixture="target")
def the_target(readiness_target: ReadinessTarget) -> ReadinessTarget:
    """The configured tenant."""
    return readiness_target


@given("the tenant configuration read through the Management API", target_fixture="snapshot")
def tenant_snapshot(readiness_target: ReadinessTarget) -> TenantSnapshot:
    """One read of the tenant's configuration. A refused read (missing scope) is kept in
    ``snapshot.errors``: it fails only the checks that need it, each naming the scope."""
    try:
        return readiness_target.snapshot()
    except (Auth0Error, TargetError) as error:
        raise ReadinessFailure(
            f"cannot read the tenant through the Management API: {error}. Fix: check auth0.domain, "
            "client_id and client_secret of the readiness application"
        ) from None


def require_reads(snapshot: TenantSnapshot, *reads: str) -> None:
    """Fail the step, naming the missing scope, when the Management API refused one of ``reads``."""
    refused = refusal(snapshot, reads)
    if refused is not None:
        why, scopes = refused
        raise ReadinessFailure(f"{why}. Fix: grant the readiness application {', '.join(scopes)}")


@given("the attestations file", target_fixture="attestations")
def attestations(readiness_target: ReadinessTarget) -> dict[str, Any] | None:
    """The attested manual items, or ``None`` when no file is configured."""
    path = readiness_target.readiness.attestations_file
    if path is None:
        return None
    try:
        return load_attestations(readiness_target.path(path))
    except AttestationsError as error:
        raise ReadinessFailure(f"{error}. Fix: see the attestations format in docs/readiness.md") from None


@then(parsers.parse('"{item}" is attested and fresh'))
def attested(readiness_target: ReadinessTarget, attestations: dict[str, Any] | None, item: str) -> None:
    """A manual item is attested within ``max_age_days``."""
    source = str(readiness_target.readiness.attestations_file or "(none)")
    expect(check_attestation(item, attestations, readiness_target.readiness.max_age_days, source))
