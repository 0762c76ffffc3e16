"""The Markdown and HTML summaries: critical failures first, then recommended and other failures, skips
and passes; counts per feature and severity; the run's header; human titles; each scenario once; the HTML
self-contained and accessible (the browser tests render it: tests/integration/test_pages_browser.py)."""

from __future__ import annotations

import re
from typing import Any

from otel_auth0.readiness import summary
from otel_auth0.readiness.attestations import MANUAL_ITEMS
from otel_auth0.readiness.checks import CHECKS

RUN = summary.RunInfo(
    domain="example.eu.auth0.com",
    tenant="example",
    started=1_800_000_000.0,
    finished=1_800_000_083.0,
    tags=None,
)


def row(
    feature: str, scenario: str, tags: list[str], outcome: str, message: str, nodeid: str = ""
) -> dict[str, Any]:
    return {
        "nodeid": nodeid or f"{feature}::{scenario}",
        "feature": feature,
        "scenario": scenario,
        "tags": tags,
        "outcome": outcome,
        "message": message,
    }


RESULTS = [
    row(
        "Production checks",
        "Recommended production check rs256",
        ["recommended"],
        "failed",
        "HS256. Fix: use RS256",
    ),
    row(
        "Email",
        "A from-address is set",
        ["critical"],
        "passed",
        "A from-address is set: ok (noreply@example.com)",
    ),
    row(
        "Production checks",
        "Critical production check rules_migrated",
        ["critical"],
        "failed",
        "rules. Fix: migrate",
    ),
    row(
        "Logging",
        "Logs are kept for 30 days",
        ["recommended"],
        "skipped",
        "set readiness.plan_retention_days",
    ),
    row(
        "Notifications", "Attested check tenant_admin_mfa", ["manual"], "failed", "not attested. Fix: attest"
    ),
    row(
        "Email",
        "A custom email provider is configured",
        ["critical"],
        "failed",
        "built-in. Fix: configure one",
    ),
]


def test_sections_in_order_critical_failures_first() -> None:
    groups = [(group_id, [summary.title(r) for r in rows]) for group_id, _, rows in summary.grouped(RESULTS)]
    assert groups == [
        ("critical-failures", ["A custom email provider is configured", CHECKS["rules_migrated"].title]),
        ("recommended-failures", [CHECKS["rs256"].title]),
        ("other-failures", [f"Attested: {MANUAL_ITEMS['tenant_admin_mfa'].title}"]),
        ("skipped", ["Logs are kept for 30 days"]),
        ("passed", ["A from-address is set"]),
    ]
    markdown = summary.markdown(RESULTS, RUN)
    headings = re.findall(r"^## (.+)$", markdown, re.M)
    assert headings[0] == "Summary per feature" and headings[1].startswith("Critical failures (2)")
    assert (
        markdown.index("Critical failures (2)")
        < markdown.index("Recommended failures (1)")
        < markdown.index("Passed (1)")
    )


def test_every_check_and_attestation_has_a_human_title() -> None:
    for check in CHECKS.values():
        for severity in ("Critical", "Recommended"):
            title = summary.scenario_title(f"{severity} production check {check.id}")
            assert title == check.title and "_" not in title, check.id
    for key, item in MANUAL_ITEMS.items():
        assert summary.scenario_title(f"Attested check {key}") == f"Attested: {item.title}"


def test_counts_per_feature_and_severity_and_each_scenario_once() -> None:
    doubled = [*RESULTS, RESULTS[2]]  # the same scenario reported twice (same node id) counts once
    assert summary.headline(doubled) == "1 passed, 4 failed (2 critical), 1 skipped"
    counts = dict(summary.feature_counts(doubled))
    assert counts["Production checks"] == {"failed:critical": 1, "failed:recommended": 1, "total": 2}
    assert counts["Email"] == {"failed:critical": 1, "passed": 1, "total": 2}
    assert counts["Notifications"] == {"failed:other": 1, "total": 1}


def test_header_names_tenant_domain_version_time_duration_and_profile() -> None:
    page = summary.html_report(RESULTS, RUN)
    for element, text in {
        "tenant": "example",
        "domain": "example.eu.auth0.com",
        "version": RUN.version,
        "started": "2027-01-15T08:00:00+00:00",
        "duration": "1 min 23 s",
        "profile": "every scenario: 6 scenarios (3 critical, 2 recommended, 1 manual)",
    }.items():
        assert f'id="{element}">{text}</dd>' in page, element
    assert "<h1>Auth0 production readiness: example (example.eu.auth0.com)</h1>" in page
    assert (
        summary.RunInfo(domain="d", tags="critical").profile(RESULTS).startswith("tags critical: 6 scenarios")
    )


def test_html_is_self_contained_and_accessible() -> None:
    page = summary.html_report(RESULTS, RUN)
    assert '<html lang="en">' in page and "<main>" in page and "<caption>" in page
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)  # no external asset
    assert "<link" not in page and "@import" not in page
    assert page.count('<th scope="row">') >= len(RESULTS)  # each scenario's title heads its row
    failed = re.findall(r'<tr class="failed"[^>]*>.*?</tr>', page)
    assert len(failed) == 4 and all(
        "\u2718 FAIL" in r for r in failed
    )  # a word and a symbol, not colour alone
    assert all('data-severity="' in r and 'data-feature="' in r for r in failed)
    assert "@media print" in page
