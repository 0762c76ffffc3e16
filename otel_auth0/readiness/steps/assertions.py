"""How a step turns a check result into a pass, a skip or a one-line failure."""

from __future__ import annotations

import pytest

from otel_auth0.readiness.result import CheckResult

#: one-line messages of the results the running scenario passed on (its evidence); reset per scenario
PASSED_EVIDENCE: list[str] = []


class ReadinessFailure(AssertionError):
    """A gate failed as designed: the message is the whole report (what is wrong, how to fix it)."""


def expect(result: CheckResult) -> CheckResult:
    """Pass (keeping the evidence for the reports), skip with the reason, or raise
    :class:`ReadinessFailure` with the one-line message."""
    if result.status == "skip":
        pytest.skip(result.message)
    if result.status == "fail":
        raise ReadinessFailure(result.message)
    PASSED_EVIDENCE.append(result.message)
    return result
