"""External identity providers: which endpoint each connection is reached at, and the gate against
loopback servers (one answering, one refused)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from otel_auth0.collector_config import parse_config
from otel_auth0.readiness.service_status import SOCIAL_ENDPOINTS, check_idps, idp_urls
from tests.support.http_server import serving

CONNECTIONS = [
    {"name": "Username-Password-Authentication", "strategy": "auth0", "options": {}},
    {"name": "google-oauth2", "strategy": "google-oauth2", "options": {}},
    {"name": "github", "strategy": "github", "options": {}},
    {
        "name": "partner",
        "strategy": "oidc",
        "options": {"discovery_url": "https://idp.partner.test/.well-known/x"},
    },
    {"name": "corp-saml", "strategy": "samlp", "options": {"signInEndpoint": "https://sso.corp.test/saml"}},
]


class Discovery(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"issuer": "https://accounts.google.test"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def discovery() -> Iterator[str]:
    with serving(Discovery) as base:
        yield f"{base}/.well-known/openid-configuration"


def test_every_social_oidc_and_saml_connection_has_an_endpoint() -> None:
    urls = idp_urls(CONNECTIONS)
    assert urls == {
        "google-oauth2": SOCIAL_ENDPOINTS["google-oauth2"],
        "github": SOCIAL_ENDPOINTS["github"],
        "partner": "https://idp.partner.test/.well-known/x",
        "corp-saml": "https://sso.corp.test/saml",
    }
    overridden = idp_urls(
        CONNECTIONS, {"google-oauth2": "http://127.0.0.1:1/g", "partner": "http://127.0.0.1:1/p"}
    )
    assert (
        overridden["google-oauth2"] == "http://127.0.0.1:1/g"
        and overridden["partner"] == "http://127.0.0.1:1/p"
    )


def test_gate_names_the_unreachable_provider_with_the_reason(discovery: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/login/oauth/authorize"
    config = parse_config(
        {"readiness": {"provider_endpoints": {"google-oauth2": discovery, "github": closed}}}
    )
    result = check_idps(config, CONNECTIONS[:3], None)
    assert result.status == "fail"
    assert (
        "unreachable: github (ConnectError" in result.message
        and "google-oauth2" not in result.message.split("Fix")[0]
    )
    config = parse_config({"readiness": {"provider_endpoints": {"google-oauth2": discovery}}})
    passed = check_idps(config, CONNECTIONS[:2], None)
    assert passed.status == "pass" and "1 identity providers reachable: google-oauth2" in passed.message
