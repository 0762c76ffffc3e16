"""The readiness library on synthetic tenants: production checks, attestations, allowlist, scan."""

from __future__ import annotations

import ipaddress
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.auth0.ratelimit import RateLimit
from otel_auth0.collector_config import parse_config
from otel_auth0.config import ConfigError, ReadinessConfig, ReadinessThresholds
from otel_auth0.readiness.attestations import check_attestation
from otel_auth0.readiness.email_checks import check_from_address
from otel_auth0.readiness.firewall import check_allowlist, coverage, parse_allowlist
from otel_auth0.readiness.ip_ranges_source import refresh
from otel_auth0.readiness.log_export import PollerCheckpoint, check_export_active, check_retention
from otel_auth0.readiness.rate_limits import check_headroom, check_rate_limit_events
from otel_auth0.readiness.scan import breaches, summarize
from otel_auth0_sim.profiles import tenant_config


def snapshot(profile: str) -> TenantSnapshot:
    data: dict[str, Any] = tenant_config(profile, "https://tenant.test")
    return TenantSnapshot(**{f.name: data[f.name] for f in fields(TenantSnapshot) if f.name in data})


def test_from_address_rejects_auth0_defaults() -> None:
    assert check_from_address(snapshot("good")).status == "pass"
    result = check_from_address(snapshot("misconfigured"))
    assert result.status == "fail" and "default_from_address" in result.fix
    other = check_from_address(snapshot("good"), "ops@example.com")
    assert other.status == "fail" and "readiness.smtp.from is ops@example.com" in other.message
    assert check_from_address(snapshot("good"), "Support <support@example-sim.test>").status == "pass"


@pytest.mark.parametrize(
    ("entry", "status", "text"),
    [
        ({"attested_by": "qa@example.com", "date": date(2026, 11, 1), "count": 3}, "pass", "qa@example.com"),
        ({"attested_by": "qa@example.com", "date": "2026-01-01", "count": 3}, "fail", "stale"),
        ({"attested_by": "qa@example.com", "date": "2026-11-01", "count": 1}, "fail", "at least 2"),
        ({"date": "2026-11-01", "count": 3}, "fail", "attested_by"),
        (None, "fail", "not attested"),
    ],
)
def test_attestations(entry: dict[str, Any] | None, status: str, text: str) -> None:
    items = {} if entry is None else {"dashboard_admins": entry}
    result = check_attestation("dashboard_admins", items, 90, "att.yaml", today=date(2026, 11, 29))
    assert result.status == status
    assert text in result.message


def test_allowlist_lists_missing_and_stale_entries() -> None:
    published = [ipaddress.ip_network(c) for c in ("1.2.3.4/32", "5.6.7.8/32", "9.9.9.0/30")]
    allow = parse_allowlist("1.2.3.0/24  # office\n9.9.9.0/30, 10.0.0.1\n")
    assert coverage(allow, published).missing == ["5.6.7.8/32"]
    assert coverage(allow, published).stale == ["10.0.0.1/32"]
    result = check_allowlist(allow, published, "US", "test")
    assert result.status == "fail" and "5.6.7.8/32" in result.message and "10.0.0.1/32" in result.message
    assert check_allowlist([*allow, ipaddress.ip_network("5.6.7.8")], published, "US", "t").status == "pass"
    with pytest.raises(ValueError, match="allowlist:2: 'nonsense'"):
        parse_allowlist("1.2.3.4\nnonsense\n")


def test_ip_ranges_refresh_uses_etag(tmp_path: Path) -> None:
    url = "https://cdn.example.test/ip-ranges.json"
    body = b'{"regions": {"US": {"ipv4_cidrs": ["1.2.3.4/32"]}}}'
    with respx.mock:
        route = respx.get(url).mock(return_value=httpx.Response(200, content=body, headers={"ETag": '"v1"'}))
        assert refresh(url, tmp_path).regions == {"US": ["1.2.3.4/32"]}
        route.mock(return_value=httpx.Response(304))
        again = refresh(url, tmp_path)
        assert route.calls.last.request.headers["If-None-Match"] == '"v1"'
        assert again.regions == {"US": ["1.2.3.4/32"]} and "unchanged" in again.source


def _event(type_: str, minutes_ago: int, **fields: Any) -> dict[str, Any]:
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {"type": type_, "date": when.isoformat().replace("+00:00", "Z"), **fields}


def test_scan_groups_and_thresholds() -> None:
    since = datetime.now(UTC) - timedelta(hours=1)
    events = [
        _event("api_limit", 5, client_name="batch", ip="10.0.0.1"),
        _event("api_limit", 6, client_name="batch", ip="10.0.0.1"),
        _event("limit_wc", 7, connection="db", ip="10.0.0.2"),
        _event("fp", 8, description="Wrong email or password.", connection="db"),
        _event("fapi", 9),
        _event("api_limit", 120),  # outside the window
        _event("s", 3),
    ]
    report = summarize(events, since)
    assert report.rate_limit.total == 3
    assert report.rate_limit.by["type"] == {"api_limit": 2, "limit_wc": 1}
    assert report.rate_limit.by["client"]["batch"] == 2
    assert report.auth_failures.by["type"] == {"fp: Wrong email or password.": 1}
    assert report.management_failures.total == 1
    lines = breaches(report, ReadinessThresholds(auth_failures=0))
    assert len(lines) == 2 and lines[0].startswith("3 rate-limit events")
    result = check_rate_limit_events(report, ReadinessThresholds())
    assert result.status == "fail" and "api_limit x2" in result.message
    assert check_rate_limit_events(summarize([], since), ReadinessThresholds()).status == "pass"


def test_headroom_floor() -> None:
    floor = ReadinessThresholds(rate_limit_headroom=0.2)
    assert check_headroom(RateLimit(50, 40, None), floor).status == "pass"
    assert "only 5 of 50" in check_headroom(RateLimit(50, 5, None), floor).message
    assert check_headroom(None, floor).status == "skip"


def test_log_export_and_retention() -> None:
    config = ReadinessConfig(plan_retention_days=1)
    bad = snapshot("misconfigured")
    assert check_export_active(snapshot("good"), None, config).status == "pass"
    assert "no poller checkpoint" in check_export_active(bad, None, config).message
    fresh = PollerCheckpoint("9001", datetime.now(UTC).timestamp())
    assert check_export_active(bad, fresh, config).status == "pass"
    stale = PollerCheckpoint("9001", datetime.now(UTC).timestamp() - 3600)
    assert "3600s old" in check_export_active(bad, stale, config).message
    assert check_retention(bad, None, config).status == "fail"
    assert check_retention(bad, fresh, config).status == "pass"


def test_readiness_config_keys_and_errors() -> None:
    config = parse_config(
        {
            "readiness": {
                "smtp": {"host": "smtp.example.com", "from": "ops@example.com"},
                "inbound_targets": [{"name": "smtp", "host": "smtp.example.com", "port": 587, "tls": "tls"}],
                "thresholds": {"probe_p95_s": 2, "log_lag_s": 300, "rate_limit_window_h": 24},
            }
        }
    )
    assert config.readiness is not None and config.readiness.smtp is not None
    assert config.readiness.smtp.from_address == "ops@example.com"
    with pytest.raises(ConfigError, match=r"readiness\.inbound_targets\.0\.port"):
        parse_config({"readiness": {"inbound_targets": [{"name": "x", "host": "h", "port": 70000}]}})
    with pytest.raises(ConfigError, match="host: required unless local"):
        parse_config({"readiness": {"smtp": {"port": 587}}})
