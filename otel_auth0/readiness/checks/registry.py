"""The production-check registry: each check is a pure function of a :class:`TenantSnapshot` and the
readiness configuration, registered with what it reads (endpoint and scope), its one-line fix and the
auth0-checkmate validator(s) it covers.

A check returns a :class:`Verdict`; :func:`run_check` turns it into a :class:`CheckResult`. When the
Management API refused one of the reads a check needs, only that check fails, naming the missing scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessConfig
from otel_auth0.readiness.result import CheckResult, failed, passed

Severity = Literal["critical", "recommended"]

#: read name -> (Management API path, or a path prefix ending in "/", and the scope it needs)
READS: dict[str, tuple[str, str]] = {
    "settings": ("/api/v2/tenants/settings", "read:tenant_settings"),
    "clients": ("/api/v2/clients", "read:clients"),
    "client_grants": ("/api/v2/client-grants", "read:client_grants"),
    "connections": ("/api/v2/connections", "read:connections"),
    "resource_servers": ("/api/v2/resource-servers", "read:resource_servers"),
    "email_provider": ("/api/v2/emails/provider", "read:email_provider"),
    "email_templates": ("/api/v2/email-templates/", "read:email_templates"),
    "attack_protection": ("/api/v2/attack-protection/", "read:attack_protection"),
    "log_streams": ("/api/v2/log-streams", "read:log_streams"),
    "event_streams": ("/api/v2/event-streams", "read:event_streams"),
    "network_acls": ("/api/v2/network-acls", "read:network_acls"),
    "custom_domains": ("/api/v2/custom-domains", "read:custom_domains"),
    "guardian_factors": ("/api/v2/guardian/factors", "read:guardian_factors"),
    "phone_provider": ("/api/v2/guardian/factors/phone/selected-provider", "read:guardian_factors"),
    "guardian_policies": ("/api/v2/guardian/policies", "read:mfa_policies"),
    "prompts": ("/api/v2/prompts", "read:prompts"),
    "actions": ("/api/v2/actions/actions", "read:actions"),
    "action_bindings": ("/api/v2/actions/triggers/", "read:actions"),
    "rules": ("/api/v2/rules", "read:rules"),
    "hooks": ("/api/v2/hooks", "read:hooks"),
}


@dataclass(frozen=True)
class Verdict:
    """What a check found: ``ok`` or not, and the evidence (for passing checks too)."""

    ok: bool
    evidence: str


def ok(evidence: str) -> Verdict:
    """A passing verdict: what was checked and found."""
    return Verdict(True, evidence)


def bad(evidence: str) -> Verdict:
    """A failing verdict: what is wrong."""
    return Verdict(False, evidence)


VerdictFn = Callable[[TenantSnapshot, ReadinessConfig], Verdict]


@dataclass(frozen=True)
class ProductionCheck:
    """One registered check."""

    id: str
    title: str
    severity: Severity
    reads: tuple[str, ...]
    fix: str
    anchor: str
    verdict: VerdictFn

    @property
    def checked(self) -> str:
        """The endpoints and scopes the check reads."""
        return "; ".join(f"GET {READS[name][0]} ({READS[name][1]})" for name in self.reads)

    @property
    def scopes(self) -> list[str]:
        """Scopes the readiness application needs for this check."""
        return sorted({READS[name][1] for name in self.reads})

    def run(self, snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
        """The check's result; a refused read fails it, naming the missing scope."""
        refused = refusal(snapshot, self.reads)
        if refused is not None:
            why, scopes = refused
            return failed(
                self.id, self.title, self.checked, why, f"grant the readiness application {', '.join(scopes)}"
            )
        verdict = self.verdict(snapshot, config)
        if verdict.ok:
            return passed(self.id, self.title, self.checked, verdict.evidence)
        return failed(self.id, self.title, self.checked, verdict.evidence, self.fix)


def refusal(snapshot: TenantSnapshot, reads: tuple[str, ...]) -> tuple[str, list[str]] | None:
    """``(why, missing scopes)`` when the Management API refused one of ``reads``, else ``None``."""
    refused = {
        path: why for path, why in snapshot.errors.items() for n in reads if _matches(path, READS[n][0])
    }
    if not refused:
        return None
    scopes = sorted({READS[n][1] for n in reads for path in refused if _matches(path, READS[n][0])})
    first = next(iter(refused.values()))
    return (
        f"the Management API refused {', '.join(sorted(refused))} ({first}); "
        f"missing scope {', '.join(scopes)}",
        scopes,
    )


def _matches(path: str, read: str) -> bool:
    return path.startswith(read) if read.endswith("/") else path == read


CHECKS: dict[str, ProductionCheck] = {}


def check(
    id: str, title: str, severity: Severity, *, reads: tuple[str, ...], fix: str, anchor: str = ""
) -> Callable[[VerdictFn], VerdictFn]:
    """Register a production check under ``id`` (``anchor``: the auth0-checkmate validators it covers)."""
    unknown = set(reads) - set(READS)
    if unknown:
        raise ValueError(f"check {id}: unknown reads {sorted(unknown)}")

    def register(fn: VerdictFn) -> VerdictFn:
        if id in CHECKS:
            raise ValueError(f"production check {id!r} registered twice")
        CHECKS[id] = ProductionCheck(id, title, severity, reads, fix, anchor, fn)
        return fn

    return register


def run_check(id: str, snapshot: TenantSnapshot, config: ReadinessConfig) -> CheckResult:
    """Run the check registered as ``id`` (an unknown id is a programming error in the feature)."""
    if id not in CHECKS:
        raise KeyError(f"unknown production check {id!r}; known: {', '.join(sorted(CHECKS))}")
    return CHECKS[id].run(snapshot, config)
