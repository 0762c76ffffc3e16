"""``POST /_sim/scenarios/<name>``: each scenario stores the events of its pattern (which the default
rules detect), silences the tenant or breaks logins; the ``good`` profile logs no deprecation notices."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from otel_auth0.detections.engine import DetectionEngine, Observed
from otel_auth0.detections.loader import default_rules
from otel_auth0_sim.app import create_app
from otel_auth0_sim.middleware import ControlAccess
from otel_auth0_sim.scenarios import EVENT_SCENARIOS, NAMES
from otel_auth0_sim.state import TenantState
from otel_auth0_sim.traffic import TrafficGenerator, emit
from tests.support.sim_app import app_client

EXPECTED = {
    "credential_stuffing": {"credential_stuffing", "credential_stuffing_slow"},
    "brute_force": {"brute_force", "brute_force_slow", "limit_event"},
    "mfa_push_bombing": {"mfa_push_bombing"},
    "leaked_password": {"leaked_password_login"},
    "rate_limit_burst": {"rate_limit_burst", "limit_event"},
    "email_outage": {"email_delivery_failures"},
    "security_setting_change": {
        "attack_protection_disabled",
        "mfa_policy_disabled",
        "mfa_factor_disabled",
        "post_login_action_changed",
        "new_admin_invited",
        "user_invitation_created",
        "management_api_grant",
    },
    "token_reuse": {"refresh_token_reuse"},
    "shared_mfa_phone": {"shared_mfa_phone"},
    "dynamic_clients": {"dynamic_client_burst"},
    "deprecated_feature": {"deprecation_notice"},
    "slow_brute_force": {"brute_force_slow"},
    "slow_credential_stuffing": {"credential_stuffing_slow"},
    "cross_origin_stuffing": {"credential_stuffing", "cross_origin_auth_failure"},
    # fraud_risk_volume and attack_protection_events_spike compare with the trailing hour, which this
    # engine has not seen: tests/unit/detections/test_default_rules.py feeds it an hour first.
    "signup_attack": set(),
    "attack_protection_blocks": {"attack_protection_blocks", "limit_event"},
    "attack_protection_weakened": {
        "attack_protection_disabled",
        "bot_detection_disabled",
        "mfa_risk_assessment_disabled",
    },
    "tenant_access_change": {
        "role_changed",
        "user_invitation_created",
        "user_joined_tenant",
        "tenant_member_deleted",
        "integration_installed",
        "mfa_policy_enabled",
        "mfa_factor_enabled",
        "mfa_risk_assessment_enabled",
    },
}

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(state: TenantState, generator: TrafficGenerator) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(create_app(state, generator, ControlAccess(enabled=True))) as test_client:
        yield test_client


async def test_scenarios_are_listed(client: httpx.AsyncClient) -> None:
    assert (await client.get("/_sim/scenarios")).json() == {"scenarios": list(NAMES)}
    assert set(EXPECTED) == set(EVENT_SCENARIOS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_event_scenario_stores_a_pattern_the_rules_detect(
    name: str, client: httpx.AsyncClient, state: TenantState
) -> None:
    response = await client.post(f"/_sim/scenarios/{name}")
    assert response.status_code == 200
    log_ids = response.json()["log_ids"]
    stored = [event for event in state.events if event["log_id"] in set(log_ids)]
    assert len(stored) == len(log_ids) > 0
    engine = DetectionEngine(default_rules())
    fired = {d.rule.id for event in stored for d in engine.process(Observed(event), 0.0)}
    assert fired == EXPECTED[name]


async def test_unknown_scenario_and_bad_body(client: httpx.AsyncClient) -> None:
    unknown = await client.post("/_sim/scenarios/nope")
    assert unknown.status_code == 404 and "brute_force" in unknown.json()["scenarios"]
    bad = await client.post("/_sim/scenarios/stream_pause", json={"seconds": 0})
    assert bad.status_code == 400 and "'seconds'" in bad.json()["error"]


async def test_stream_pause_silences_the_tenant_then_resumes(
    client: httpx.AsyncClient, state: TenantState, generator: TrafficGenerator
) -> None:
    response = await client.post("/_sim/scenarios/stream_pause", json={"seconds": 1})
    assert response.json() == {"scenario": "stream_pause", "seconds": 1}
    assert state.stream.paused and generator.quiet_until > asyncio.get_running_loop().time()
    deadline = asyncio.get_running_loop().time() + 30
    while state.stream.paused:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.1)


async def test_login_outage_fails_token_requests(client: httpx.AsyncClient) -> None:
    assert (await client.post("/_sim/scenarios/login_outage", json={"count": 2})).json()["faults"] == 2
    statuses = [
        (await client.post("/oauth/token", data={"grant_type": "password"})).status_code for _ in range(3)
    ]
    assert statuses[:2] == [503, 503] and statuses[2] != 503


async def test_login_slow_delays_token_requests(client: httpx.AsyncClient, state: TenantState) -> None:
    answer = (await client.post("/_sim/scenarios/login_slow", json={"seconds": 1, "count": 1})).json()
    assert answer == {"scenario": "login_slow", "seconds": 1, "count": 1}
    assert [(s.path_prefix, s.seconds, s.count) for s in state.slowdowns] == [("/oauth/token", 1.0, 1)]
    await client.post("/oauth/token", data={"grant_type": "password"})
    assert state.slowdowns == []


def test_good_profile_logs_no_deprecation_notices(state: TenantState, generator: TrafficGenerator) -> None:
    assert state.profile == "good"
    assert "depnote" not in {event["type"] for event in emit(state, generator, 5000)}
    state.profile = "misconfigured"
    assert "depnote" in {event["type"] for event in emit(state, generator, 5000)}
