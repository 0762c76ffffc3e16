"""Email gates: custom provider, from-address, SMTP handshake (EHLO, STARTTLS, AUTH) and the delivery
of a verification email triggered through the Management API."""

from __future__ import annotations

import smtplib
import ssl
import time
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from otel_auth0.auth0.management import Auth0Error
from otel_auth0.auth0.management_reads import TenantSnapshot, send_verification_email
from otel_auth0.config import InboundTargetConfig
from otel_auth0.readiness.firewall import FIXES, probe_target
from otel_auth0.readiness.result import CheckResult, failed, passed, skipped
from otel_auth0.readiness.target import ReadinessTarget

BUILT_IN_FROM_DOMAIN = "auth0user.net"


def check_from_address(snapshot: TenantSnapshot, expected: str | None = None) -> CheckResult:
    """The verify template's ``from`` (or the provider's ``default_from_address``) is set, not Auth0's,
    and equals ``expected`` when given."""
    title = "A from-address is set"
    checked = "emails/provider default_from_address; email-templates/verify_email from"
    provider = snapshot.email_provider or {}
    template = snapshot.email_templates.get("verify_email") or {}
    address = parseaddr(str(template.get("from") or provider.get("default_from_address") or ""))[1]
    if not address or address.endswith(("@auth0.com", f"@{BUILT_IN_FROM_DOMAIN}")):
        return failed(
            "email_from",
            title,
            checked,
            f"from-address is {address or 'not set'} (Auth0's default)",
            "set default_from_address on the email provider to an address of your domain",
        )
    wanted = parseaddr(expected)[1] if expected else None
    if wanted and address.lower() != wanted.lower():
        return failed(
            "email_from",
            title,
            checked,
            f"the tenant sends from {address}, readiness.smtp.from is {wanted}",
            "set the same address on the provider / verify_email template and in readiness.smtp.from",
        )
    return passed("email_from", title, checked, address)


def check_provider_host(snapshot: TenantSnapshot) -> CheckResult:
    """The SMTP provider's ``smtp_host:smtp_port`` accepts TCP connections."""
    title = "The email provider's SMTP host is reachable"
    checked = "emails/provider credentials.smtp_host:smtp_port"
    provider = snapshot.email_provider
    if provider is None:
        return failed(
            "email_provider_host",
            title,
            checked,
            "no email provider configured",
            "configure an SMTP provider",
        )
    credentials = provider.get("credentials") or {}
    if provider.get("name") != "smtp" or not credentials.get("smtp_host"):
        return skipped(
            "email_provider_host", title, checked, f"provider {provider.get('name')} is not an SMTP server"
        )
    target = InboundTargetConfig(
        name="email-provider", host=str(credentials["smtp_host"]), port=int(credentials.get("smtp_port", 587))
    )
    result = probe_target(target)
    if result.outcome != "open":
        return failed("email_provider_host", title, checked, result.detail, FIXES[result.outcome])
    return passed("email_provider_host", title, checked, result.detail)


def smtp_handshake(
    host: str,
    port: int,
    username: str | None,
    password: str | None,
    ca_file: Path | None,
    timeout: float,
    tls: str = "starttls",
) -> tuple[str | None, dict[str, Any]]:
    """EHLO, TLS (STARTTLS, or implicit with ``tls="tls"``) and AUTH; returns the failing step
    (``None`` when all pass) and the evidence. ``tls="none"`` fails the TLS step: Auth0 needs TLS."""
    evidence: dict[str, Any] = {"server": f"{host}:{port}"}
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    step = "connect"
    try:
        session = (
            smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            if tls == "tls"
            else smtplib.SMTP(host, port, timeout=timeout)
        )
        with session as smtp:
            step = "EHLO"
            code, banner = smtp.ehlo()
            if code != 250:
                raise smtplib.SMTPResponseException(code, banner)
            evidence["ehlo"] = banner.decode(errors="replace").splitlines()[0]
            step = "STARTTLS"
            if tls == "none":
                raise smtplib.SMTPNotSupportedError(
                    "readiness.smtp.tls is none; Auth0 sends only over TLS 1.2+"
                )
            if tls == "starttls":
                if not smtp.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError("STARTTLS not offered")
                smtp.starttls(context=context)
                smtp.ehlo()
            sock = smtp.sock
            evidence["tls"] = sock.version() if isinstance(sock, ssl.SSLSocket) else "?"
            step = "AUTH"
            if not username:
                raise smtplib.SMTPException("no username configured (readiness.smtp.username)")
            smtp.login(username, password or "")
            evidence["auth"] = "accepted"
    except (smtplib.SMTPException, OSError) as error:
        evidence["error"] = str(error) or type(error).__name__
        return step, evidence
    return None, evidence


HANDSHAKE_FIXES = {
    "connect": "make the SMTP server reachable on this port (587 recommended) from Auth0's outbound IPs",
    "EHLO": "check the SMTP server's greeting/EHLO configuration",
    "STARTTLS": "enable STARTTLS (or implicit TLS) with a publicly trusted certificate (TLS 1.2+)",
    "AUTH": "check readiness.smtp.username/password against the provider's SMTP credentials",
}


def check_smtp_handshake(target: ReadinessTarget, snapshot: TenantSnapshot) -> CheckResult:
    """The tenant's SMTP provider (``credentials.smtp_host:smtp_port``) is the server of
    ``readiness.smtp``, and EHLO, STARTTLS and AUTH succeed against it."""
    title = "SMTP EHLO, STARTTLS and AUTH succeed"
    smtp = target.smtp
    if smtp is None:
        return skipped("smtp_handshake", title, "readiness.smtp", "readiness.smtp is not configured")
    checked = "GET /api/v2/emails/provider credentials.smtp_host:smtp_port; an SMTP session with it"
    provider = snapshot.email_provider
    if provider is None:
        return failed(
            "smtp_handshake",
            title,
            checked,
            "the tenant has no email provider (Auth0's built-in test provider is used): it has no SMTP "
            "server to check",
            "configure your own SMTP provider (Branding > Email Provider) and point readiness.smtp at it",
        )
    credentials = provider.get("credentials") or {}
    if provider.get("name") != "smtp" or not credentials.get("smtp_host"):
        return skipped(
            "smtp_handshake",
            title,
            checked,
            f"provider {provider.get('name')} sends through its API, not SMTP",
        )
    provider_host, provider_port = str(credentials["smtp_host"]), int(credentials.get("smtp_port") or 587)
    host, port, ca_file, username, password = target.smtp_endpoint()
    if (host.lower(), port) != (provider_host.lower(), provider_port):
        return failed(
            "smtp_handshake",
            title,
            checked,
            f"readiness.smtp is {host}:{port} but the tenant's provider sends through "
            f"{provider_host}:{provider_port}",
            "set readiness.smtp host and port to the provider's credentials.smtp_host / smtp_port",
        )
    step, evidence = smtp_handshake(
        provider_host, provider_port, username, password, ca_file, smtp.timeout, smtp.tls
    )
    if step is not None:
        return failed(
            "smtp_handshake", title, checked, f"{step} failed: {evidence['error']}", HANDSHAKE_FIXES[step]
        )
    return passed("smtp_handshake", title, checked, evidence)


def check_verification_delivery(target: ReadinessTarget) -> CheckResult:
    """A verification email triggered through the Management API arrives with the tenant's template."""
    title = "A verification email is delivered with the tenant's template"
    smtp = target.smtp
    checked = "POST /api/v2/jobs/verification-email, then the test mailbox"
    if smtp is None or not smtp.test_user_id or not smtp.test_recipient:
        return skipped("email_delivery", title, checked, "set readiness.smtp.test_user_id and test_recipient")
    if not smtp.local:
        return skipped(
            "email_delivery",
            title,
            checked,
            "the mailbox of a real recipient cannot be read; attest delivery",
        )
    mailbox = target.mailbox()
    started = time.time()
    user_id = smtp.test_user_id
    try:
        job = target.with_client(lambda client: send_verification_email(client, user_id))
    except Auth0Error as error:
        return failed(
            "email_delivery",
            title,
            checked,
            f"the job was refused: {error}",
            "grant update:users to the readiness application and check test_user_id",
        )
    delivered = mailbox.wait_for(smtp.test_recipient, started - 1, smtp.delivery_timeout)
    if delivered is None:
        return failed(
            "email_delivery",
            title,
            checked,
            f"job {job.get('id')} sent nothing to {smtp.test_recipient} within {smtp.delivery_timeout:g}s",
            "check the provider's SMTP credentials and look for 'fn' (failed notification) tenant logs",
        )
    template = target.snapshot().email_templates.get("verify_email") or {}
    subject = str(delivered.message.get("Subject", ""))
    sender = str(delivered.message.get("From", ""))
    evidence = {"job": job.get("id"), "subject": subject, "from": sender}
    if not template.get("enabled") or subject != template.get("subject"):
        wanted = (
            f"expected the verify_email template's subject {template['subject']!r}"
            if template.get("enabled")
            else "the tenant has no enabled verify_email template"
        )
        return failed(
            "email_delivery",
            title,
            checked,
            f"delivered with Auth0's default template (subject {subject!r}, from {sender}); {wanted}",
            "configure a custom email provider and enable a customised verify_email template",
        )
    return passed("email_delivery", title, checked, evidence)
