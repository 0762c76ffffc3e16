"""HTTP client construction shared by every Auth0 caller."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx

from otel_auth0 import __version__

USER_AGENT = f"otel-auth0/{__version__} (+https://github.com/otel-auth0/otel-auth0)"


def ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """System trust store plus ``ca_file`` when given; verification is always on."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


def async_client(
    ca_file: Path | None,
    timeout: float = 30.0,
    user_agent: str = USER_AGENT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` that verifies TLS against the system store plus ``ca_file``."""
    return httpx.AsyncClient(
        verify=ssl_context(ca_file),
        timeout=timeout,
        headers={"User-Agent": user_agent},
        transport=transport,
        follow_redirects=False,
    )
