"""The SMTP handshake gate checks the tenant's own provider: none configured fails, a readiness.smtp
server other than the provider's fails, an API provider is skipped, a refused port fails at connect."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, cast

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessSmtpConfig
from otel_auth0.readiness.email_checks import check_smtp_handshake
from otel_auth0.readiness.target import ReadinessTarget


class StubTarget:
    """The two things the gate asks of a target."""

    def __init__(self, host: str, port: int) -> None:
        self.smtp = ReadinessSmtpConfig(host=host, port=port, username="u", password="p", timeout=5)

    def smtp_endpoint(self) -> tuple[str, int, Path | None, str | None, str | None]:
        assert self.smtp.host is not None
        return self.smtp.host, self.smtp.port, None, "u", "p"


def provider(host: str, port: int, name: str = "smtp") -> dict[str, Any]:
    return {"name": name, "enabled": True, "credentials": {"smtp_host": host, "smtp_port": port}}


def gate(target: StubTarget, email_provider: dict[str, Any] | None) -> Any:
    return check_smtp_handshake(cast(ReadinessTarget, target), TenantSnapshot(email_provider=email_provider))


def test_no_provider_fails_without_talking_to_any_server() -> None:
    result = gate(StubTarget("127.0.0.1", 9), None)
    assert result.status == "fail" and "the tenant has no email provider" in result.message


def test_readiness_smtp_must_be_the_providers_server() -> None:
    result = gate(StubTarget("127.0.0.1", 2525), provider("smtp.example.com", 587))
    assert result.status == "fail"
    assert (
        "readiness.smtp is 127.0.0.1:2525 but the tenant's provider sends through smtp.example.com:587"
        in (result.message)
    )


def test_api_provider_is_skipped() -> None:
    result = gate(StubTarget("127.0.0.1", 587), provider("", 0, name="sendgrid"))
    assert result.status == "skip" and "sendgrid sends through its API" in result.message


def test_the_handshake_runs_against_the_providers_host() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once closed
    result = gate(StubTarget("127.0.0.1", port), provider("127.0.0.1", port))
    assert result.status == "fail" and result.message.startswith(
        "SMTP EHLO, STARTTLS and AUTH succeed: connect failed"
    )
