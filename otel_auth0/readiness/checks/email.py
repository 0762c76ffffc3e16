"""Email provider and templates."""

from __future__ import annotations

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessConfig
from otel_auth0.readiness.checks.registry import Verdict, bad, check, ok


@check(
    "email_provider",
    "A custom email provider is configured",
    "critical",
    reads=("email_provider",),
    fix="configure your own email provider (Branding > Email Provider); the built-in one is for testing only",
    anchor="checkEmailProvider",
)
def email_provider(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """``GET /api/v2/emails/provider`` answers 200 with ``enabled: true``."""
    provider = snapshot.email_provider
    if provider is None:
        return bad("no provider configured: Auth0's built-in test provider is used")
    if not provider.get("enabled", True):
        return bad(f"provider {provider.get('name')} is disabled")
    return ok(f"provider {provider.get('name')} enabled, from {provider.get('default_from_address')}")


@check(
    "email_templates",
    "Required email templates are customised and enabled",
    "recommended",
    reads=("email_templates",),
    fix="customise and enable them (Branding > Email Templates)",
    anchor="checkEmailTemplates",
)
def email_templates(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Every template in ``readiness.required_email_templates`` exists and is enabled."""
    problems = []
    for template_name in config.required_email_templates:
        template = snapshot.email_templates.get(template_name)
        if template is None:
            problems.append(f"{template_name} not customised")
        elif not template.get("enabled"):
            problems.append(f"{template_name} disabled")
    if problems:
        return bad(", ".join(problems))
    return ok(f"{', '.join(config.required_email_templates)} customised and enabled")
