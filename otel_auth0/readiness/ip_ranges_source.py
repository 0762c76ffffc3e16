"""Auth0's outbound ranges for the allowlist gate: a saved file, or (by default) Auth0's current JSON
(conditional GET with ``If-None-Match``, cached under ``state_dir/readiness``), falling back to the cached
copy and then to the packaged snapshot with a warning when the download fails."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

import httpx

from otel_auth0.auth0.http import USER_AGENT, ssl_context
from otel_auth0.auth0.ip_ranges import DEFAULT_URL, IpRangesError, load_snapshot, parse_ranges
from otel_auth0.readiness.firewall import Network
from otel_auth0.readiness.target import ReadinessTarget
from otel_auth0.receivers.notices import NoticesConfig

CACHE_BODY = "ip-ranges.json"
CACHE_ETAG = "ip-ranges.etag"
PACKAGED = "packaged snapshot of Auth0's published ranges"


@dataclass(frozen=True)
class Ranges:
    """Ranges per region and where they came from."""

    regions: dict[str, list[str]]
    source: str
    warning: str | None = None

    def networks(self, region: str) -> list[Network]:
        """The region's ranges as networks."""
        return [ipaddress.ip_network(cidr) for cidr in self.regions.get(region.upper(), [])]


def refresh(url: str, cache_dir: Path, ca_file: Path | None = None, timeout: float = 10.0) -> Ranges:
    """Fetch ``url`` unless the cached copy's ETag is still current; falls back to the cache on errors."""
    body_path, etag_path = cache_dir / CACHE_BODY, cache_dir / CACHE_ETAG
    cached = body_path.read_bytes() if body_path.is_file() else None
    headers = {"User-Agent": USER_AGENT}
    if cached is not None and etag_path.is_file():
        headers["If-None-Match"] = etag_path.read_text().strip()
    try:
        response = httpx.get(url, headers=headers, timeout=timeout, verify=ssl_context(ca_file))
    except httpx.HTTPError as error:
        if cached is None:
            raise IpRangesError(f"cannot fetch {url}: {error!r}") from None
        return Ranges(
            parse_ranges(cached),
            f"cached copy of {url}",
            f"could not refresh {url} ({error!r}); compared with the cached copy",
        )
    if response.status_code == 304 and cached is not None:
        return Ranges(parse_ranges(cached), f"{url} (unchanged, ETag {headers['If-None-Match']})")
    if response.status_code != 200:
        raise IpRangesError(f"{url} answered {response.status_code}")
    regions = parse_ranges(response.content)
    cache_dir.mkdir(parents=True, exist_ok=True)
    body_path.write_bytes(response.content)
    if etag := response.headers.get("etag"):
        etag_path.write_text(etag)
    return Ranges(regions, f"{url} (fetched, ETag {etag or 'none'})")


def ranges_for(target: ReadinessTarget) -> Ranges:
    """The ranges the allowlist gate compares with, by ``readiness`` settings."""
    readiness = target.readiness
    if readiness.ip_ranges_file is not None:
        path = target.path(readiness.ip_ranges_file)
        try:
            return Ranges(parse_ranges(path.read_text(encoding="utf-8")), str(path))
        except OSError as error:
            raise IpRangesError(f"cannot read {path}: {error.strerror or error}") from None
    if readiness.ip_ranges_refresh:
        notices = target.config.receivers.section(NoticesConfig)
        url = (notices.ip_ranges_url if notices else None) or DEFAULT_URL
        ca_file = target.config.auth0.ca_file if target.config.auth0 else None
        try:
            return refresh(url, target.config.state_dir / "readiness", ca_file)
        except IpRangesError as error:
            return Ranges(
                load_snapshot(),
                PACKAGED,
                f"{error}; compared with the packaged snapshot, which may be out of date",
            )
    return Ranges(load_snapshot(), PACKAGED)
