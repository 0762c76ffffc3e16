"""Parsing and diffing Auth0's outbound IP ranges, and the snapshot shipped in the package."""

from __future__ import annotations

import json

import pytest

from otel_auth0.auth0.ip_ranges import (
    IpRangesError,
    diff,
    load_snapshot,
    load_snapshot_document,
    parse_ranges,
)
from tests.shared_data import require_shared_data


def test_parse_normalises_and_sorts() -> None:
    document = {"regions": {"US": {"ipv4_cidrs": ["10.0.0.1/32", "10.0.0.0/8", "10.0.0.1"]}}}
    assert parse_ranges(json.dumps(document)) == {"US": ["10.0.0.0/8", "10.0.0.1/32"]}


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        {"no": "regions"},
        {"regions": {"US": {"ipv4_cidrs": "1.2.3.4/32"}}},
        {"regions": {"US": {"ipv4_cidrs": ["x"]}}},
    ],
)
def test_parse_rejects_malformed_documents(document: object) -> None:
    with pytest.raises(IpRangesError):
        parse_ranges(document if isinstance(document, str) else json.dumps(document))


def test_diff_per_region() -> None:
    old = {"US": ["1.1.1.1/32", "2.2.2.2/32"], "EU": ["3.3.3.3/32"]}
    new = {"US": ["2.2.2.2/32", "4.4.4.4/32"], "EU": ["3.3.3.3/32"], "JP": ["5.5.5.5/32"]}
    changes = diff(old, new)
    assert set(changes) == {"US", "JP"}
    assert changes["US"].added == ("4.4.4.4/32",) and changes["US"].removed == ("1.1.1.1/32",)
    assert changes["JP"].added == ("5.5.5.5/32",) and not changes["JP"].removed


def test_snapshot_is_in_the_published_format() -> None:
    document = load_snapshot_document()
    assert document["last_updated_at"] and isinstance(document["changelog"], list)
    ranges = load_snapshot()
    assert {"US", "EU", "AU", "CA", "JP", "UK"} <= set(ranges)
    assert all(cidr.endswith("/32") for cidrs in ranges.values() for cidr in cidrs)


def test_snapshot_matches_the_documented_allowlist() -> None:
    source = json.loads(
        require_shared_data("data", "auth0-ip-ranges", "allowlist-from-docs.json").read_text()
    )
    expected = {
        region: sorted(f"{ip}/32" for ip in entry["ipv4"]) for region, entry in source["regions"].items()
    }
    assert load_snapshot() == expected
    assert sum(len(v) for v in expected.values()) == source["total"]
