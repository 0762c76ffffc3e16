"""A hand-built event sequence per default rule: ``(events, index of the event that must fire it)``.

Threshold sequences hold exactly ``count`` matching events, so the rule fires on the last one and not
before (the boundary)."""

from __future__ import annotations

from collections.abc import Callable

from otel_auth0.detections.engine import Observed
from tests.unit.detections.builders import changelog, cloud_event, event, probe, sapi

Case = tuple[list[Observed], int]


def _last(events: list[Observed]) -> Case:
    return events, len(events) - 1


def credential_stuffing() -> Case:
    return _last([event("fu", i, ip="198.51.100.9", user_name=f"u{i}@acme.test") for i in range(10)])


def brute_force() -> Case:
    return _last([event("fp", i * 2, ip=f"198.51.100.{i}", user_name="victim@acme.test") for i in range(20)])


def mfa_push_bombing() -> Case:
    return _last([event("gd_send_pn", i * 30, user_id="auth0|victim") for i in range(5)])


def leaked_password_login() -> Case:
    return _last([event("pwd_leak", 0, user_name="leaky@acme.test", ip="198.51.100.3")])


def refresh_token_reuse() -> Case:
    description = "Unsuccessful Refresh Token exchange, reused refresh token detected"
    return _last([event("ferrt", 0, description=description, client_id="mobile")])


def shared_mfa_phone() -> Case:
    authenticator = {"authenticator": {"type": "sms", "phone_number": "+15550001"}}
    return _last(
        [
            event("gd_enrollment_complete", i * 600, user_id=f"auth0|u{i}", details=authenticator)
            for i in range(2)
        ]
    )


def dynamic_client_burst() -> Case:
    return _last([event("sapi", i * 60, description="Dynamic client registration") for i in range(15)])


def attack_protection_disabled() -> Case:
    path = "/api/v2/attack-protection/breached-password-detection"
    return _last(
        [sapi(0, "Update breached password settings", "patch", path, {"enabled": False}, {"enabled": False})]
    )


def mfa_policy_disabled() -> Case:
    return _last(
        [sapi(0, "Set the Multi-factor Authentication policies", "put", "/api/v2/guardian/policies", [])]
    )


def mfa_factor_disabled() -> Case:
    return _last(
        [sapi(0, "Update factor", "put", "/api/v2/guardian/factors/push-notification", {"enabled": False})]
    )


def post_login_action_changed() -> Case:
    path = "/api/v2/actions/triggers/post-login/bindings"
    return _last([sapi(0, "Update trigger bindings", "patch", path, {"bindings": []})])


def new_admin_invited() -> Case:
    body = {"email": "eve@evil.test", "roles": ["owner"]}
    return _last(
        [sapi(0, "Create tenant invitations for a given client", "post", "/api/v2/tenants/invitations", body)]
    )


def management_api_grant() -> Case:
    body = {"client_id": "newapp", "audience": "https://acme.eu.auth0.com/api/v2/", "scope": ["read:users"]}
    return _last([sapi(0, "Create client grant", "post", "/api/v2/client-grants", body)])


def login_failure_spike() -> Case:
    """55 minutes with one failed login a minute, 5 quiet minutes, then 30 failures within a minute:
    the trailing hour predicts 5 in 5 minutes, so it fires at the 30th (min_count, above 3 x 5)."""
    history = [event("fp", i * 60, user_name=f"u{i % 7}@acme.test", ip="198.51.100.1") for i in range(55)]
    spike = [
        event("fu", 3600 + i * 2, user_name=f"s{i}@acme.test", ip=f"198.51.100.{100 + i}") for i in range(30)
    ]
    return _last(history + spike)


def rate_limit_burst() -> Case:
    return _last([event("api_limit", i, client_id="batch") for i in range(50)])


def email_delivery_failures() -> Case:
    return _last([event("fn" if i % 2 else "fv", i * 60, user_name=f"u{i}@acme.test") for i in range(5)])


def log_gap() -> Case:
    """100 events in ten minutes, then silence, then one more event 5 minutes later: the gap fires."""
    events = [event("s", i * 6, user_name="u@acme.test") for i in range(100)]
    return _last([*events, event("s", 99 * 6 + 300, user_name="u@acme.test")])


def deprecation_notice() -> Case:
    return _last([event("depnote", 0, details={"feature": {"id": "legacy_rules", "name": "Rules"}})])


def synthetic_login_failed() -> Case:
    return _last([probe(0, False, 0.3), probe(60, False, 0.2)])


def synthetic_login_slow() -> Case:
    return _last([probe(i * 60, True, 6.5) for i in range(3)])


def changelog_deprecation() -> Case:
    return _last([changelog(0, "Deprecation of the legacy tokeninfo endpoint")])


def mass_user_deletion() -> Case:
    return _last([cloud_event("user.deleted", i * 25) for i in range(20)])
def credential_stuffing_slow() -> Case:
    """Thirty user names from one IP, two minutes apart (never ten within five minutes)."""
    return _last([event("fu", i * 120, ip="198.51.100.23", user_name=f"c{i}@acme.test") for i in range(30)])


def brute_force_slow() -> Case:
    """Three minutes apart, one IP, one account: the fifth failure within 15 minutes fires."""
    return _last([event("fp", i * 180, ip="198.51.100.20", user_name="victim@acme.test") for i in range(5)])


def cross_origin_auth_failure() -> Case:
    return _last([event("fcoa", 0, ip="198.51.100.21", user_name="u@acme.test")])


def fraud_risk_volume() -> Case:
    """One failed signup a minute for 55 minutes, then 20 within 40 seconds (min_count 20, over three
    times the 5 the trailing hour predicts)."""
    history = [event("fs", i * 60, ip=f"198.51.100.{i % 50}", user_name=f"h{i}@acme.test") for i in range(55)]
    spike = [
        event("fs", 3600 + i * 2, ip=f"198.51.100.{100 + i}", user_name=f"s{i}@acme.test") for i in range(20)
    ]
    return _last(history + spike)


def limit_event() -> Case:
    return _last([event("limit_wc", 0, ip="198.51.100.22", user_name="u@acme.test")])


def attack_protection_blocks() -> Case:
    return _last([event("limit_mu", i * 600, ip=f"198.51.100.{30 + i}") for i in range(5)])


def attack_protection_events_spike() -> Case:
    """One block a minute for 55 minutes, then 15 within half a minute: three times the 5 the
    trailing hour predicts for 5 minutes."""
    history = [event("limit_mu", i * 60, ip=f"198.51.100.{i % 50}") for i in range(55)]
    spike = [event("limit_mu", 3600 + i * 2, ip=f"198.51.100.{100 + i}") for i in range(15)]
    return _last(history + spike)


def bot_detection_disabled() -> Case:
    path = "/api/v2/attack-protection/bot-detection"
    body = {"policy": "off", "passwordless_policy": "off"}
    return _last([sapi(0, "Create or update the anomaly detection captcha", "patch", path, body, body)])


def mfa_policy_enabled() -> Case:
    policy = ["all-applications"]
    description = "Set the Multi-factor Authentication policies"
    return _last([sapi(0, description, "put", "/api/v2/guardian/policies", policy, policy)])


def mfa_factor_enabled() -> Case:
    path = "/api/v2/guardian/factors/sms"
    return _last(
        [
            sapi(
                0,
                "Update a Multi-factor Authentication Factor",
                "put",
                path,
                {"enabled": True},
                {"enabled": True},
            )
        ]
    )


def mfa_risk_assessment_disabled() -> Case:
    body = {"AfterAuthentication": False}
    return _last(
        [sapi(0, "Updates risk assessment configs", "patch", "/api/v2/risk-assessment/config", body, body)]
    )


def mfa_risk_assessment_enabled() -> Case:
    body = {"AfterAuthentication": True}
    return _last(
        [sapi(0, "Updates risk assessment configs", "patch", "/api/v2/risk-assessment/config", body, body)]
    )


def user_invitation_created() -> Case:
    body = {"invitee": {"email": "new@acme.test"}, "inviter": {"name": "Admin"}, "client_id": "portal"}
    path = "/api/v2/organizations/org_abc/invitations"
    return _last([sapi(0, "Create invitations to organization", "post", path, body)])


def user_joined_tenant() -> Case:
    path = "/api/v2/tenants/invitations/inv_abc"
    return _last([sapi(0, "Update an invitation", "patch", path, {"state": "accepted"})])


def tenant_member_deleted() -> Case:
    return _last([sapi(0, "Delete tenant member", "delete", "/api/v2/tenants/members/mem_abc", None)])


def role_changed() -> Case:
    return _last([sapi(0, "Create a role", "post", "/api/v2/roles", {"name": "support", "description": "s"})])


def integration_installed() -> Case:
    path = "/api/v2/integrations/installed"
    return _last([sapi(0, "Install an available integration", "post", path, {"integration_id": "abc"})])


def login_slo_fast_burn() -> Case:
    """Six hours of good runs a minute apart, then failures: 5 in the last hour (8.3%) burn the 0.5%
    budget over 14.4 times as fast; 4 (6.7%) do not."""
    good = [probe(i * 60, True, 0.4) for i in range(360)]
    return _last(good + [probe((360 + i) * 60, False, 0.3) for i in range(5)])


def login_slo_slow_burn() -> Case:
    """Three days of a run every 10 minutes, then a failure every ~7 hours: the third makes 3 of 432
    runs (0.69%) over 3 days, above the 0.5% allowed (the second: 0.46%); one in 36 over 6 hours
    (2.8%) stays under the fast rule's 3%."""
    runs = [probe(i * 600, True, 0.4) for i in range(432)]
    for failure in range(3):
        start = 432 + failure * 40
        runs.append(probe(start * 600, False, 0.3))
        if failure < 2:
            runs.extend(probe((start + 1 + i) * 600, True, 0.4) for i in range(39))
    return _last(runs)


def login_latency_slo_fast_burn() -> Case:
    """Six hours of fast runs, then slow ones (2.5 s or more): 9 in the last hour (15%) burn the 1%
    budget over 14.4 times as fast; 8 (13.3%) do not."""
    fast = [probe(i * 60, True, 0.4) for i in range(360)]
    return _last(fast + [probe((360 + i) * 60, True, 3.0) for i in range(9)])


CASES: dict[str, Callable[[], Case]] = {
    name: function
    for name, function in globals().items()
    if callable(function) and not name.startswith("_") and function.__module__ == __name__
}
