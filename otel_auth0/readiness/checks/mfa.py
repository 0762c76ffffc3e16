"""Multi-factor authentication: factors, enforcement policy, phone provider."""

from __future__ import annotations

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessConfig
from otel_auth0.readiness.checks.common import bound_actions, names
from otel_auth0.readiness.checks.registry import Verdict, bad, check, ok

PHONE_PROVIDERS_OK = ("twilio", "phone-message-hook")
STRONG_FACTORS = ("otp", "webauthn-roaming", "webauthn-platform", "push-notification", "duo")
ENFORCING_POLICIES = ("all-applications", "confidence-score")
ENFORCING_CALLS = ("api.multifactor.enable", "api.authentication.challengeWith")


def _enabled(snapshot: TenantSnapshot) -> list[str]:
    return [str(f.get("name")) for f in snapshot.guardian_factors if f.get("enabled")]


@check(
    "mfa_enabled",
    "Multi-factor authentication is available",
    "recommended",
    reads=("guardian_factors",),
    fix="enable at least one factor (Security > Multi-factor Auth)",
    anchor="checkGuardianFactors",
)
def mfa_enabled(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """At least one guardian factor is enabled."""
    enabled = _enabled(snapshot)
    if not enabled:
        return bad("no MFA factor enabled")
    return ok(f"factors: {', '.join(enabled)}")


@check(
    "mfa_strong_factor",
    "A phishing-resistant or app-based MFA factor is enabled",
    "recommended",
    reads=("guardian_factors",),
    fix="enable WebAuthn, one-time passwords or push notifications besides SMS / email",
    anchor="checkGuardianFactors",
)
def mfa_strong_factor(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """An enabled factor other than SMS, voice and email."""
    enabled = _enabled(snapshot)
    strong = [f for f in enabled if f in STRONG_FACTORS]
    if not strong:
        return bad(f"only weak factors enabled: {', '.join(enabled) or 'none'}")
    return ok(f"strong factors: {', '.join(strong)}")


@check(
    "mfa_policy",
    "MFA is enforced by a policy or a post-login Action",
    "critical",
    reads=("guardian_factors", "guardian_policies", "actions", "action_bindings"),
    fix="set Security > Multi-factor Auth > Require Multi-factor Auth to Always (or Adaptive), or bind "
    "a post-login Action that calls api.multifactor.enable",
    anchor="checkGuardianPolicy",
)
def mfa_policy(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Factors are enabled and ``guardian/policies`` enforces them, or a bound post-login Action does."""
    if not _enabled(snapshot):
        return bad("no MFA factor enabled, so nothing is enforced")
    policies = [p for p in snapshot.guardian_policies if p in ENFORCING_POLICIES]
    if policies:
        return ok(f"policy {', '.join(policies)}")
    actions = names(
        a
        for a in bound_actions(snapshot, "post-login")
        if any(c in str(a.get("code") or "") for c in ENFORCING_CALLS)
    )
    if actions:
        return ok(f"post-login Action {', '.join(actions)} enforces MFA")
    return bad(
        f"factors enabled but policy is {', '.join(snapshot.guardian_policies) or 'never'} and no post-login "
        "Action enforces MFA"
    )


@check(
    "mfa_phone_provider",
    "MFA by phone uses Twilio or a custom provider",
    "critical",
    reads=("guardian_factors", "phone_provider"),
    fix="configure Twilio or a custom phone provider (Security > Multi-factor Auth > Phone Message)",
)
def mfa_phone_provider(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """When the SMS/phone factor is on, its provider is not Auth0's own."""
    phone_on = any(f.get("name") in ("sms", "phone") and f.get("enabled") for f in snapshot.guardian_factors)
    if not phone_on:
        return ok("phone factor not enabled")
    provider = (snapshot.phone_provider or {}).get("provider", "auth0")
    if provider not in PHONE_PROVIDERS_OK:
        return bad(f"phone factor enabled with provider {provider}")
    return ok(f"phone factor on provider {provider}")
