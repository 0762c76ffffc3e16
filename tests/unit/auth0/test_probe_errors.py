"""error.type classification of Auth0 JSON, other servers' plain text, and transport failures."""

from __future__ import annotations

import json
import ssl

import httpx
import pytest

from otel_auth0.auth0.probe_errors import CREDENTIAL_FAILURES, classify_exception, classify_response


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (403, {"error": "invalid_grant", "error_description": "Wrong email or password."}, "invalid_grant"),
        (
            403,
            {"error": "invalid_user_password", "error_description": "Wrong email or password"},
            "invalid_grant",
        ),
        (
            429,
            {"error": "too_many_attempts", "error_description": "Your account has been blocked"},
            "too_many_attempts",
        ),
        (
            401,
            {"error": "mfa_required", "error_description": "Multifactor authentication required"},
            "mfa_required",
        ),
        (403, {"error": "unauthorized_client", "error_description": "Grant type"}, "unauthorized_client"),
        (401, {"error": "password_leaked", "error_description": "leaked"}, "password_leaked"),
        (
            429,
            {"statusCode": 429, "error": "Too Many Requests", "errorCode": "too_many_requests"},
            "too_many_requests",
        ),
        (500, {"error": "server_error"}, "http_5xx"),
    ],
)
def test_auth0_json(status: int, body: dict[str, str], expected: str) -> None:
    error_type, message = classify_response(status, json.dumps(body).encode())
    assert error_type == expected
    assert message


@pytest.mark.parametrize(
    ("status", "text", "expected"),
    [
        (401, "Wrong email or password.", "invalid_grant"),
        (403, "error=invalid_grant", "invalid_grant"),
        (401, "Unauthorized", "unauthorized"),
        (403, "Forbidden", "http_403"),
        (401, "", "http_401"),
        (429, "slow down", "too_many_requests"),
        (502, "<html>Bad Gateway</html>", "http_5xx"),
    ],
)
def test_plain_text(status: int, text: str, expected: str) -> None:
    assert classify_response(status, text.encode())[0] == expected


def test_unrecognised_401_and_403_count_as_credential_failures() -> None:
    assert {"http_401", "http_403", "invalid_grant", "too_many_attempts"} <= CREDENTIAL_FAILURES
    assert "mfa_required" not in CREDENTIAL_FAILURES and "http_5xx" not in CREDENTIAL_FAILURES


def test_transport_failures() -> None:
    assert classify_exception(httpx.ReadTimeout("slow")) == "timeout"
    tls = httpx.ConnectError("handshake")
    tls.__cause__ = ssl.SSLCertVerificationError("CERTIFICATE_VERIFY_FAILED")
    assert classify_exception(tls) == "tls"
    assert classify_exception(httpx.ConnectError("refused")) == "connection"
