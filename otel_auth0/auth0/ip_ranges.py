"""Auth0's published outbound IP ranges (``https://cdn.auth0.com/ip-ranges.json``).

The document is ``{"last_updated_at", "regions": {"US": {"ipv4_cidrs": [...]}, ...}, "changelog": [...]}``.
A snapshot ships inside the package (``otel_auth0/data/auth0_ip_ranges.json``, taken from the addresses
Auth0's documentation lists) so firewall checks work offline; the notices receiver watches the live file.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

DEFAULT_URL = "https://cdn.auth0.com/ip-ranges.json"
SNAPSHOT = "auth0_ip_ranges.json"


class IpRangesError(ValueError):
    """The document is not in the published format."""


@dataclass(frozen=True, slots=True)
class RangeDiff:
    """CIDRs added and removed in one region."""

    added: tuple[str, ...]
    removed: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


def parse_ranges(document: Any) -> dict[str, list[str]]:
    """``{region: sorted normalised CIDRs}`` from a parsed (or JSON text) ip-ranges document."""
    if isinstance(document, str | bytes):
        try:
            document = json.loads(document)
        except ValueError as exc:
            raise IpRangesError(f"ip-ranges document is not JSON: {exc}") from None
    regions = document.get("regions") if isinstance(document, dict) else None
    if not isinstance(regions, dict):
        raise IpRangesError("ip-ranges document has no 'regions' object")
    out: dict[str, list[str]] = {}
    for region, entry in regions.items():
        cidrs = entry.get("ipv4_cidrs") if isinstance(entry, dict) else None
        if not isinstance(cidrs, list):
            raise IpRangesError(f"regions.{region}.ipv4_cidrs must be a list")
        try:
            out[str(region)] = sorted({str(ipaddress.ip_network(str(c), strict=False)) for c in cidrs})
        except ValueError as exc:
            raise IpRangesError(f"regions.{region}: {exc}") from None
    return out


def load_snapshot() -> dict[str, list[str]]:
    """The ranges shipped with this package."""
    return parse_ranges(load_snapshot_document())


def load_snapshot_document() -> dict[str, Any]:
    """The shipped snapshot as the raw published-format document."""
    text = resources.files("otel_auth0").joinpath("data", SNAPSHOT).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def diff(old: dict[str, list[str]], new: dict[str, list[str]]) -> dict[str, RangeDiff]:
    """Per region, the CIDRs added and removed between two parsed documents (changed regions only)."""
    changes: dict[str, RangeDiff] = {}
    for region in sorted(set(old) | set(new)):
        before, after = set(old.get(region, ())), set(new.get(region, ()))
        change = RangeDiff(tuple(sorted(after - before)), tuple(sorted(before - after)))
        if change:
            changes[region] = change
    return changes
