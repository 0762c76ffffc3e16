"""The ``large`` profile: every list spans pages, one flaw on page two, and a day of log history with
rate-limit events far beyond the first 1,000 results of a newest-first search."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessConfig
from otel_auth0.convert.catalog import RATE_LIMIT_CODES
from otel_auth0.readiness.checks import CHECKS, run_check
from otel_auth0_sim.history import HISTORY_EVENTS, backfill
from otel_auth0_sim.profiles import tenant_config
from otel_auth0_sim.profiles_large import LOCALHOST_APP_INDEX, LOCALHOST_APP_NAME
from otel_auth0_sim.state import TenantState
from otel_auth0_sim.traffic import TrafficGenerator


def _snapshot(config: dict[str, object]) -> TenantSnapshot:
    names = {f.name for f in fields(TenantSnapshot)}
    return TenantSnapshot(**{k: v for k, v in config.items() if k in names})  # type: ignore[arg-type]


def test_large_tenant_fails_only_on_the_page_two_localhost_application() -> None:
    config = tenant_config("large", "https://tenant.test")
    applications = [c for c in config["clients"] if not c["global"]]  # what ``is_global=false`` lists
    assert len(config["clients"]) - len(applications) == 1  # and Auth0's "All Applications" client
    assert (len(applications), len(config["connections"]), len(config["resource_servers"])) == (150, 60, 40)
    assert config["clients"][LOCALHOST_APP_INDEX]["name"] == LOCALHOST_APP_NAME
    snapshot = _snapshot({**config, "clients": applications})
    results = {id: run_check(id, snapshot, ReadinessConfig()) for id in CHECKS}
    failing = {id: r for id, r in results.items() if r.status != "pass"}
    assert set(failing) == {"no_localhost_urls", "app_callbacks_secure"}
    assert LOCALHOST_APP_NAME in str(failing["no_localhost_urls"].evidence)


def test_a_day_of_history_in_log_id_order_with_late_rate_limit_events() -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    state = TenantState("tenant.test", profile="large", seed=7)
    stored = backfill(state, TrafficGenerator("t", "prod-us-1", "tenant.test", 7), now=now)
    assert len(stored) >= HISTORY_EVENTS >= 5000
    dates = [datetime.fromisoformat(e["date"].replace("Z", "+00:00")) for e in state.events]
    assert all(now - timedelta(hours=24) <= d <= now for d in dates) and dates == sorted(dates)
    ids = [e["log_id"] for e in state.events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    older = state.events[: len(state.events) - 1000]  # what a newest-first search never reaches
    assert {"limit_wc", "api_limit", "limit_mu"} <= {
        e["type"] for e in older if e["type"] in RATE_LIMIT_CODES
    }
    assert {"fn", "depnote", "w"} <= {e["type"] for e in older}
