"""Every default rule fires on its hand-built sequence exactly at the threshold (N-1 events: silent,
N: fires), on its simulator scenario, and stays silent on 100,000 events of normal traffic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from otel_auth0.detections.engine import Detection, DetectionEngine, Observed
from otel_auth0.detections.loader import default_rules
from otel_auth0_sim.scenarios import DEFAULT_PAUSE_SECONDS, EVENT_SCENARIOS
from otel_auth0_sim.traffic import TrafficGenerator
from tests.unit.detections.builders import T0
from tests.unit.detections.cases import CASES

RULES = {rule.id: rule for rule in default_rules()}
NORMAL_EVENTS = 100_000
EVENTS_PER_SECOND = 20  # the demo's rate; the simulator's default is 5

# The simulator scenario that produces each rule's pattern (docs/simulator.md). The probe and
# changelog rules are driven by other receivers: see test_probe_scenario and the hand-built cases.
SCENARIO_OF = {
    "credential_stuffing": "credential_stuffing",
    "brute_force": "brute_force",
    "mfa_push_bombing": "mfa_push_bombing",
    "leaked_password_login": "leaked_password",
    "refresh_token_reuse": "token_reuse",
    "shared_mfa_phone": "shared_mfa_phone",
    "dynamic_client_burst": "dynamic_clients",
    "attack_protection_disabled": "security_setting_change",
    "mfa_policy_disabled": "security_setting_change",
    "mfa_factor_disabled": "security_setting_change",
    "post_login_action_changed": "security_setting_change",
    "new_admin_invited": "security_setting_change",
    "management_api_grant": "security_setting_change",
    "rate_limit_burst": "rate_limit_burst",
    "email_delivery_failures": "email_outage",
    "deprecation_notice": "deprecated_feature",
    "login_failure_spike": "credential_stuffing",
    "brute_force_slow": "slow_brute_force",
    "credential_stuffing_slow": "slow_credential_stuffing",
    "cross_origin_auth_failure": "cross_origin_stuffing",
    "fraud_risk_volume": "signup_attack",
    "limit_event": "attack_protection_blocks",
    "attack_protection_blocks": "attack_protection_blocks",
    "attack_protection_events_spike": "attack_protection_blocks",
    "bot_detection_disabled": "attack_protection_weakened",
    "mfa_risk_assessment_disabled": "attack_protection_weakened",
    "role_changed": "tenant_access_change",
    "user_invitation_created": "tenant_access_change",
    "user_joined_tenant": "tenant_access_change",
    "tenant_member_deleted": "tenant_access_change",
    "integration_installed": "tenant_access_change",
    "mfa_policy_enabled": "tenant_access_change",
    "mfa_factor_enabled": "tenant_access_change",
    "mfa_risk_assessment_enabled": "tenant_access_change",
}
# Rules that fire with another by nature: each limit event is a detection of its own (limit_event), and
# the owner invitation is also an invitation.
COMPANIONS = {
    "rate_limit_burst": {"limit_event"},
    "attack_protection_blocks": {"limit_event"},
    "attack_protection_events_spike": {"limit_event", "attack_protection_blocks"},
    "new_admin_invited": {"user_invitation_created"},
    "login_slo_fast_burn": {"synthetic_login_failed", "login_slo_slow_burn"},
}
# Rules needing normal traffic before the scenario (a baseline, a tenant that "normally has traffic").
NEEDS_HISTORY = {"login_failure_spike", "log_gap", "fraud_risk_volume", "attack_protection_events_spike"}


def generator() -> TrafficGenerator:
    """The simulator's traffic generator for the ``good`` profile (no legacy features), seeded."""
    traffic = TrafficGenerator("acme", "prod-us-1", "acme.us.auth0.com", seed=15)
    traffic.legacy_features = False
    traffic.limit_events = False
    return traffic


def normal_traffic(count: int, start: datetime, rate: int = EVENTS_PER_SECOND) -> list[Observed]:
    """``count`` events at ``rate`` per second, in the order the tenant logs them."""
    traffic = generator()
    events = []
    for second in range(count // rate):
        events.extend(traffic.take(rate, now=start + timedelta(seconds=second)))
    events.sort(key=lambda event: event["date"])
    for index, event in enumerate(events):
        event["log_id"] = f"{index:056d}"
    return [Observed(event) for event in events]


def first_fired(engine: DetectionEngine, events: list[Observed], rule_id: str) -> tuple[int | None, set[str]]:
    """Index of the event on which ``rule_id`` first fired, and every rule that fired."""
    first = None
    fired: set[str] = set()
    for index, observed in enumerate(events):
        for detection in engine.process(observed, T0):
            fired.add(detection.rule.id)
            if detection.rule.id == rule_id and first is None:
                first = index
    return first, fired


def test_every_default_rule_has_a_hand_built_case() -> None:
    assert set(CASES) == set(RULES)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_fires_exactly_at_its_threshold_on_a_hand_built_sequence(rule_id: str) -> None:
    events, fires_at = CASES[rule_id]()
    first, fired = first_fired(DetectionEngine(default_rules()), events, rule_id)
    assert first == fires_at
    assert fired - COMPANIONS.get(rule_id, set()) == {rule_id}
    threshold = RULES[rule_id].threshold
    if threshold is not None:
        assert len(events) == threshold.count  # N-1 events were silent, the Nth fired


def test_log_gap_fires_on_the_wall_clock_tick_after_the_silence() -> None:
    events, _ = CASES["log_gap"]()
    engine = DetectionEngine(default_rules())
    for observed in events[:-1]:
        assert engine.process(observed, T0) == []
    last = T0 + 99 * 6
    assert engine.tick(last + 299.9) == []
    [detection] = engine.tick(last + 300)
    assert (detection.rule.id, detection.group) == ("log_gap", {"tenant_name": "acme"})
    assert engine.tick(last + 900) == []  # once per silence
    assert engine.process(events[-1], T0) == []  # the silence was already reported


def test_log_gap_ignores_old_silences_on_the_wall_clock() -> None:
    """An imported archive (or the collector's own downtime) is not a tenant that just went quiet."""
    events, _ = CASES["log_gap"]()
    engine = DetectionEngine(default_rules())
    for observed in events[:-1]:
        engine.process(observed, T0)
    assert engine.tick(T0 + 99 * 6 + 300 + 3600) == []


def _scenario_detections(rule_id: str) -> list[Detection]:
    engine = DetectionEngine(default_rules())
    now = datetime.fromtimestamp(T0, UTC)
    history: list[Observed] = []
    if rule_id in NEEDS_HISTORY:
        history = normal_traffic(3600, now - timedelta(hours=1), rate=1)  # a quiet tenant's hour
        for observed in history:
            assert engine.process(observed, T0) == []
    if rule_id == "log_gap":  # the stream_pause scenario: no event for DEFAULT_PAUSE_SECONDS
        return engine.tick(T0 + DEFAULT_PAUSE_SECONDS)
    scenario = EVENT_SCENARIOS[SCENARIO_OF[rule_id]](generator(), now)
    detections = []
    for index, event in enumerate(scenario):
        event["log_id"] = f"scenario{index:048d}"
        detections.extend(engine.process(Observed(event), T0))
    return detections


@pytest.mark.parametrize("rule_id", sorted(set(SCENARIO_OF) | {"log_gap"}))
def test_rule_fires_on_its_simulator_scenario(rule_id: str) -> None:
    fired = {detection.rule.id for detection in _scenario_detections(rule_id)}
    assert rule_id in fired


def test_credential_stuffing_scenario_names_each_attacking_ip() -> None:
    detections = [
        d for d in _scenario_detections("credential_stuffing") if d.rule.id == "credential_stuffing"
    ]
    assert sorted(d.group["ip"] for d in detections) == ["203.0.113.201", "203.0.113.202", "203.0.113.203"]
    assert all(d.count == 10 and len(d.log_ids) == 10 for d in detections)


def test_slow_brute_force_scenario_escalates_on_the_success() -> None:
    detections = [d for d in _scenario_detections("brute_force_slow") if d.rule.id == "brute_force_slow"]
    assert sorted(d.severity for d in detections) == ["fatal", "warn", "warn", "warn"]
    [escalated] = [d for d in detections if d.escalation]
    assert escalated.escalation.startswith("a login succeeded with ip=203.0.113.72")


def test_every_rule_of_an_auth0_event_has_a_scenario() -> None:
    """Probe and changelog rules are driven by other receivers (login_outage, login_slow, feeds)."""
    auth0_rules = {rule.id for rule in RULES.values() if rule.match.source == "auth0_logs"}
    assert auth0_rules - set(SCENARIO_OF) == {"log_gap"}  # the stream_pause action scenario


def test_default_rules_stay_silent_on_100k_events_of_normal_traffic() -> None:
    engine = DetectionEngine(default_rules())
    events = normal_traffic(NORMAL_EVENTS, datetime.fromtimestamp(T0, UTC))
    assert len(events) == NORMAL_EVENTS
    detections = []
    for index, observed in enumerate(events):
        detections.extend(engine.process(observed, T0))
        if index % 1000 == 0:  # the live pipeline's housekeeping tick, on the traffic's clock
            detections.extend(engine.tick(float(index // EVENTS_PER_SECOND) + T0))
    assert [(d.rule.id, d.group) for d in detections] == []
