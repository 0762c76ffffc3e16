"""Classify a failed probe request into a low-cardinality ``error.type``.

Auth0 answers with JSON (``{"error", "error_description"}`` from the Authentication API, ``{"statusCode",
"error", "message", "errorCode"}`` elsewhere); other OIDC servers and proxies may answer in plain text,
with 401 or 403. Both are understood.
"""

from __future__ import annotations

import json
import ssl

import httpx

# Auth0 ``error`` codes -> error.type (aliases folded together).
_CODES = {
    "invalid_grant": "invalid_grant",
    "invalid_user_password": "invalid_grant",
    "too_many_attempts": "too_many_attempts",
    "mfa_required": "mfa_required",
    "mfa_registration_required": "mfa_required",
    "unauthorized_client": "unauthorized_client",
    "password_leaked": "password_leaked",
    "invalid_client": "invalid_client",
    "access_denied": "access_denied",
    "unauthorized": "unauthorized",
    "too_many_requests": "too_many_requests",
    "unsupported_grant_type": "unauthorized_client",
}
# The error.type values known in advance (``http_<status>`` others are added as they occur).
KNOWN_ERROR_TYPES = (
    *sorted(set(_CODES.values())),
    "timeout",
    "tls",
    "connection",
    "jwks",
    "id_token",
    "discovery",
    "token_response",
    "userinfo",
    "http_5xx",
)
# Phrases of Auth0's error descriptions, for plain-text bodies.
_PHRASES = (
    ("wrong email or password", "invalid_grant"),
    ("wrong username or password", "invalid_grant"),
    ("invalid username or password", "invalid_grant"),
    ("account has been blocked", "too_many_attempts"),
    ("multifactor authentication required", "mfa_required"),
    ("not allowed for the client", "unauthorized_client"),
    ("password has been leaked", "password_leaked"),
    ("too many requests", "too_many_requests"),
)

# Failures that mean the probe's credentials were refused: each one counts towards Auth0's brute-force
# threshold, so the probe stops after a few of them.
CREDENTIAL_FAILURES = frozenset(
    {
        "invalid_grant",
        "too_many_attempts",
        "password_leaked",
        "unauthorized",
        "access_denied",
        "http_401",
        "http_403",
    }
)


def classify_response(status: int, body: bytes) -> tuple[str, str]:
    """``(error.type, human-readable message)`` for an error response."""
    text = body.decode("utf-8", "replace").strip()
    code, message = _from_json(text)
    if code is None:
        lowered = text.lower()
        code = next((c for c in _CODES if c in lowered), None)
        code = _CODES[code] if code else next((t for phrase, t in _PHRASES if phrase in lowered), None)
        message = text[:300]
    if code is None:
        if status == 429:
            code = "too_many_requests"
        elif status >= 500:
            code = "http_5xx"
        else:
            code = f"http_{status}"
    return code, message or f"HTTP {status}"


def _from_json(text: str) -> tuple[str | None, str | None]:
    try:
        body = json.loads(text)
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    raw = body.get("error")
    error_code = body.get("errorCode")
    code = _CODES.get(str(raw)) or _CODES.get(str(error_code))
    description = body.get("error_description") or body.get("message") or raw
    message = (
        f"{raw}: {description}" if raw and description and description != raw else str(description or "")
    )
    return code, message or None


def classify_exception(exc: BaseException) -> str:
    """``timeout``, ``tls`` or ``connection`` for a transport failure."""
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return "tls"
        seen = seen.__cause__ or seen.__context__
    return "connection"
