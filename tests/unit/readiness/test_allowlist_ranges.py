"""The allowlist gate compares with Auth0's current ranges by default, and says so when it has to fall
back (cached copy, then the packaged snapshot) because the download failed."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from otel_auth0.auth0.ip_ranges import load_snapshot
from otel_auth0.collector_config import parse_config
from otel_auth0.readiness.firewall import check_allowlist
from otel_auth0.readiness.ip_ranges_source import PACKAGED, ranges_for
from otel_auth0.readiness.target import ReadinessTarget
from tests.support.http_server import serving

BODY = b'{"regions": {"US": {"ipv4_cidrs": ["192.0.2.10/32"]}}}'


class Published(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", '"v1"')
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def published() -> Iterator[str]:
    with serving(Published) as base:
        yield f"{base}/ip-ranges.json"


def target(tmp_path: Path, url: str) -> ReadinessTarget:
    config = {"state_dir": str(tmp_path / "state"), "receivers": {"notices": {"ip_ranges_url": url}}}
    return ReadinessTarget(parse_config(config))


def closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/ip-ranges.json"


def test_current_ranges_by_default_then_the_cached_copy_with_a_warning(
    tmp_path: Path, published: str
) -> None:
    ranges = ranges_for(target(tmp_path, published))
    assert ranges.regions == {"US": ["192.0.2.10/32"]} and "fetched, ETag" in ranges.source
    assert ranges.warning is None
    assert "unchanged" in ranges_for(target(tmp_path, published)).source
    fallback = ranges_for(target(tmp_path, closed_url()))
    assert fallback.regions == {"US": ["192.0.2.10/32"]}
    assert fallback.warning is not None and "compared with the cached copy" in fallback.warning


def test_packaged_snapshot_with_a_warning_when_nothing_can_be_downloaded(tmp_path: Path) -> None:
    ranges = ranges_for(target(tmp_path, closed_url()))
    assert ranges.source == PACKAGED and ranges.regions == load_snapshot()
    assert ranges.warning is not None and "may be out of date" in ranges.warning
    us = ranges.networks("US")
    result = check_allowlist(us, us, "US", ranges.source, ranges.warning)
    assert result.status == "pass" and "may be out of date" in result.message
    short = check_allowlist(us[1:], us, "US", ranges.source, ranges.warning)
    assert short.status == "fail" and "1 Auth0 IPs missing" in short.message and "warning:" in short.message


def test_refresh_off_uses_the_packaged_snapshot_without_warning(tmp_path: Path) -> None:
    config = parse_config({"state_dir": str(tmp_path), "readiness": {"ip_ranges_refresh": False}})
    ranges = ranges_for(ReadinessTarget(config))
    assert ranges.source == PACKAGED and ranges.warning is None
    assert ipaddress.ip_network(load_snapshot()["US"][0]) in ranges.networks("US")
