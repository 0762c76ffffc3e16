"""Attack protection: brute force, suspicious-IP throttling, breached passwords (with their stages),
bot detection."""

from __future__ import annotations

from typing import Any

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessConfig
from otel_auth0.readiness.checks.registry import Verdict, bad, check, ok

MAX_ATTEMPTS = 10  # Auth0's default brute-force threshold
BREACHED_STAGES = ("pre-user-registration", "pre-change-password")


def _part(snapshot: TenantSnapshot, part: str) -> dict[str, Any]:
    return snapshot.attack_protection.get(part) or {}


def _blocking(snapshot: TenantSnapshot, part: str) -> list[str]:
    """What keeps ``part`` from blocking (empty when it is enabled with the ``block`` shield)."""
    body = _part(snapshot, part)
    problems = []
    if not body.get("enabled"):
        problems.append(f"{part} disabled")
    elif "block" not in (body.get("shields") or []):
        problems.append(
            f"{part} without the block shield (shields: {', '.join(body.get('shields') or []) or 'none'})"
        )
    return problems


@check(
    "brute_force_protection",
    "Brute-force protection blocks",
    "critical",
    reads=("attack_protection",),
    fix=f"enable Brute-force Protection with the block shield and at most {MAX_ATTEMPTS} attempts",
    anchor="checkBruteForce",
)
def brute_force_protection(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Enabled, ``block`` shield, ``max_attempts`` <= :data:`MAX_ATTEMPTS`."""
    problems = _blocking(snapshot, "brute-force-protection")
    attempts = _part(snapshot, "brute-force-protection").get("max_attempts", MAX_ATTEMPTS)
    if not problems and attempts > MAX_ATTEMPTS:
        problems.append(f"max_attempts={attempts}")
    if problems:
        return bad("; ".join(problems))
    return ok(f"enabled, blocking after {attempts} attempts")


@check(
    "suspicious_ip_throttling",
    "Suspicious-IP throttling blocks",
    "critical",
    reads=("attack_protection",),
    fix="enable Suspicious IP Throttling with the block shield (Security > Attack Protection)",
    anchor="checkSuspiciousIPThrottling",
)
def suspicious_ip_throttling(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Enabled with the ``block`` shield."""
    problems = _blocking(snapshot, "suspicious-ip-throttling")
    if problems:
        return bad("; ".join(problems))
    return ok("enabled with the block shield")


@check(
    "breached_password_detection",
    "Breached-password detection blocks at login, signup and password change",
    "critical",
    reads=("attack_protection",),
    fix="enable Breached Password Detection with the block shield at login, pre-registration and "
    "pre-change-password",
    anchor="checkBreachedPassword",
)
def breached_password_detection(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Enabled with ``block``, also in ``stage.pre-user-registration`` and ``pre-change-password``."""
    problems = _blocking(snapshot, "breached-password-detection")
    stages = _part(snapshot, "breached-password-detection").get("stage") or {}
    if not problems:
        problems = [
            f"stage {s} does not block"
            for s in BREACHED_STAGES
            if "block" not in ((stages.get(s) or {}).get("shields") or [])
        ]
    if problems:
        return bad("; ".join(problems))
    return ok(f"enabled, blocking at login and {', '.join(BREACHED_STAGES)}")


@check(
    "bot_detection",
    "Bot detection challenges risky logins, signups and resets",
    "recommended",
    reads=("attack_protection",),
    fix="set Bot Detection's challenge policies to when_risky or always and empty its allowlist",
    anchor="checkBotDetectionSetting",
)
def bot_detection(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``bot-detection``: no ``challenge_*_policy`` is ``never``, level not off, allowlist empty."""
    body = _part(snapshot, "bot-detection")
    if not body:
        return bad("bot-detection settings are not available (plan without Bot Detection?)")
    problems = [
        f"{key}={body.get(key)}"
        for key in (
            "challenge_password_policy",
            "challenge_passwordless_policy",
            "challenge_password_reset_policy",
        )
        if body.get(key, "never") == "never"
    ]
    if body.get("bot_detection_level") == "off":
        problems.append("bot_detection_level=off")
    if body.get("allowlist"):
        problems.append(f"allowlist={','.join(body['allowlist'])}")
    if problems:
        return bad("; ".join(problems))
    return ok(f"level {body.get('bot_detection_level', 'medium')}, every challenge policy on")
