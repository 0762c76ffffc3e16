"""Steps of firewall.feature."""

from __future__ import annotations

import pytest
from pytest_bdd import given, then

from otel_auth0.auth0.ip_ranges import IpRangesError
from otel_auth0.config import InboundTargetConfig
from otel_auth0.readiness.firewall import Network, check_allowlist, check_inbound_target, read_allowlist
from otel_auth0.readiness.ip_ranges_source import Ranges, ranges_for
from otel_auth0.readiness.steps.assertions import ReadinessFailure, expect
from otel_auth0.readiness.target import ReadinessTarget


@given("the inbound targets of the readiness configuration", target_fixture="inbound")
def inbound(readiness_target: ReadinessTarget) -> list[InboundTargetConfig]:
    """``readiness.inbound_targets``."""
    if not readiness_target.readiness.inbound_targets:
        pytest.skip("readiness.inbound_targets is empty: Auth0 calls none of your services")
    return readiness_target.readiness.inbound_targets


@then("every inbound target accepts TCP, and TLS or STARTTLS where configured")
def every_target(inbound: list[InboundTargetConfig]) -> None:
    """All targets are checked; the failures are reported together, one line each."""
    failures = [r.message for r in map(check_inbound_target, inbound) if r.status == "fail"]
    if failures:
        raise ReadinessFailure(" | ".join(failures))


@given("the firewall allowlist and Auth0's published ranges for the region", target_fixture="allowlist")
def allowlist(readiness_target: ReadinessTarget) -> tuple[list[Network], Ranges, str]:
    """The allowlist file and the ranges to compare it with."""
    readiness = readiness_target.readiness
    if readiness.allowlist_file is None:
        raise ReadinessFailure(
            "no firewall allowlist to compare. Fix: export the firewall rules for Auth0 as CIDRs, "
            "one a line, and set readiness.allowlist_file"
        )
    path = readiness_target.path(readiness.allowlist_file)
    try:
        return read_allowlist(path), ranges_for(readiness_target), str(path)
    except (OSError, ValueError, IpRangesError) as error:
        raise ReadinessFailure(f"{error}. Fix: correct readiness.allowlist_file / ip_ranges_file") from None


@then("the allowlist covers every outbound IP of the region")
def covers(readiness_target: ReadinessTarget, allowlist: tuple[list[Network], Ranges, str]) -> None:
    """Coverage gate; stale entries are reported too."""
    networks, ranges, _ = allowlist
    region = readiness_target.readiness.region
    expect(check_allowlist(networks, ranges.networks(region), region, ranges.source, ranges.warning))
