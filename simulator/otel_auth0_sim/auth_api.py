"""Authentication API for synthetic logins: the ``password`` and ``password-realm`` grants, OIDC
discovery, the JWKS, ``/userinfo``, and the ``/_sim/auth`` controls.

Errors are shaped like Auth0's: 403 ``invalid_grant`` "Wrong email or password.", 429
``too_many_attempts`` once one user has failed 10 times from one IP, 403 ``unauthorized_client`` when
the grant is off for the client, 403 ``mfa_required`` for users flagged so. Each attempt is also
written to the tenant log (``sepft``, ``fp``, ``fu``, ``fepft``, ``mfar``, ``limit_wc``).

- ``GET /_sim/auth``: clients, users, JWKS kids, token requests per user, brute-force counters.
- ``POST /_sim/auth`` ``{"password_grant": bool, "client_id"?: str, "reset_failures": bool}``.
- ``POST /_sim/jwks/rotate`` ``{"keep_previous": true}``: sign with a new key from now on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from otel_auth0_sim.auth_state import (
    BRUTE_FORCE_THRESHOLD,
    DATABASE_CONNECTION,
    ID_TOKEN_LIFETIME,
    USERINFO_PER_MINUTE,
    AuthState,
    ProbeClient,
    TestUser,
)
from otel_auth0_sim.oauth import GrantHandler, TokenParams, oauth_error
from otel_auth0_sim.state import TenantState

PASSWORD_REALM_GRANT = "http://auth0.com/oauth/grant-type/password-realm"
WRONG_PASSWORD = "Wrong email or password."
BLOCKED = (
    "Your account has been blocked after multiple consecutive login attempts. "
    "We've sent you an email with instructions on how to unblock it."
)


def issuer(state: TenantState, request: Request) -> str:
    """``https://<domain>/``, with Auth0's trailing slash."""
    return f"{request.url.scheme}://{state.domain}/"


def _log(state: TenantState, request: Request, type_: str, description: str, **fields: Any) -> None:
    state.add_event(
        {
            "type": type_,
            "description": description,
            "ip": request.client.host if request.client else "127.0.0.1",
            "user_agent": request.headers.get("user-agent", ""),
            "hostname": state.hostname,
            "tenant_name": state.tenant_name,
            "environment_name": state.environment_name,
            "connection": DATABASE_CONNECTION,
            "strategy": "auth0",
            "strategy_type": "database",
            **fields,
        }
    )


def password_grants(auth: AuthState) -> Mapping[str, GrantHandler]:
    """Grant handlers to merge into :func:`otel_auth0_sim.oauth.token_routes`."""

    async def password(state: TenantState, params: TokenParams, request: Request) -> JSONResponse:
        client = auth.clients.get(params.get("client_id", ""))
        grant = params.get("grant_type", "")
        if client is None:
            if params.get("client_id", "") in state.clients:
                return oauth_error(
                    403, "unauthorized_client", f"Grant type '{grant}' not allowed for the client."
                )
            return oauth_error(401, "invalid_client", "Unknown client.")
        if params.get("client_secret", client.client_secret) != client.client_secret:
            return oauth_error(401, "invalid_client", "Client authentication failed.")
        client_fields = {"client_id": client.client_id, "client_name": client.name}
        username = params.get("username", "")
        if not client.password_grant:
            _log(
                state,
                request,
                "fepft",
                "Grant type not allowed for the client",
                user_name=username,
                **client_fields,
            )
            return oauth_error(
                403, "unauthorized_client", f"Grant type '{grant}' not allowed for the client."
            )
        if grant == PASSWORD_REALM_GRANT and params.get("realm") != DATABASE_CONNECTION:
            return oauth_error(400, "invalid_request", "connection not found")
        if not username or "password" not in params:
            return oauth_error(400, "invalid_request", "Missing required parameter: username or password")
        auth.token_requests_by_user[username.lower()] += 1
        ip = request.client.host if request.client else "127.0.0.1"
        key = (username.lower(), ip)
        if auth.failures[key] >= BRUTE_FORCE_THRESHOLD:
            _log(state, request, "limit_wc", BLOCKED, user_name=username, **client_fields)
            return oauth_error(429, "too_many_attempts", BLOCKED)
        user = auth.users.get(username.lower())
        if user is None or user.password != params["password"]:
            auth.failures[key] += 1
            type_ = "fu" if user is None else "fp"
            ids = {"user_id": user.user_id} if user else {}
            _log(state, request, type_, WRONG_PASSWORD, user_name=username, **ids, **client_fields)
            return oauth_error(403, "invalid_grant", WRONG_PASSWORD)
        auth.failures.pop(key, None)
        user_fields = {"user_id": user.user_id, "user_name": user.username, **client_fields}
        if user.mfa:
            _log(state, request, "mfar", "Multifactor authentication required", **user_fields)
            body = {
                "error": "mfa_required",
                "error_description": "Multifactor authentication required",
                "mfa_token": auth.issue_access_token(user, client.client_id),
            }
            return JSONResponse(body, status_code=403)
        _log(state, request, "sepft", "Password exchange", **user_fields)
        return _tokens(state, auth, request, client, user, params)

    return {"password": password, PASSWORD_REALM_GRANT: password}


def _tokens(
    state: TenantState,
    auth: AuthState,
    request: Request,
    client: ProbeClient,
    user: TestUser,
    params: TokenParams,
) -> JSONResponse:
    scope = params.get("scope", "")
    body: dict[str, Any] = {
        "access_token": auth.issue_access_token(user, client.client_id),
        "expires_in": 86400,
        "token_type": "Bearer",
    }
    if scope:
        body["scope"] = scope
    if "openid" in scope.split():
        now = int(time.time())
        body["id_token"] = auth.keys.sign(
            {
                "iss": issuer(state, request),
                "aud": client.client_id,
                "sub": user.user_id,
                "iat": now,
                "exp": now + ID_TOKEN_LIFETIME,
                "email": user.username,
                "name": user.username,
            }
        )
    return JSONResponse(body)


def auth_routes(state: TenantState, auth: AuthState) -> list[Route]:
    """Discovery, JWKS, ``/userinfo`` and the ``/_sim/auth`` controls."""

    async def discovery(request: Request) -> JSONResponse:
        auth.discovery_requests += 1
        base = issuer(state, request)
        return JSONResponse(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}authorize",
                "token_endpoint": f"{base}oauth/token",
                "userinfo_endpoint": f"{base}userinfo",
                "jwks_uri": f"{base}.well-known/jwks.json",
                "response_types_supported": ["code", "token", "id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["HS256", "RS256"],
                "grant_types_supported": ["client_credentials", "password", PASSWORD_REALM_GRANT],
            }
        )

    async def jwks(request: Request) -> JSONResponse:
        auth.jwks_requests += 1
        return JSONResponse(auth.keys.jwks())

    async def userinfo(request: Request) -> JSONResponse:
        auth.userinfo_requests += 1
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        grant = auth.grants.get(token)
        if grant is None or grant.expires_at < time.time():
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        allowed, reset = auth.userinfo_allowed(grant.user.user_id, time.time())
        headers = {"x-ratelimit-limit": str(USERINFO_PER_MINUTE), "x-ratelimit-reset": str(reset)}
        if not allowed:
            headers["x-ratelimit-remaining"] = "0"
            return JSONResponse(
                {"error": "too_many_requests", "error_description": "Too many requests."}, 429, headers
            )
        user = grant.user
        return JSONResponse(
            {"sub": user.user_id, "email": user.username, "name": user.username, "email_verified": True},
            headers=headers,
        )

    async def control(request: Request) -> JSONResponse:
        if request.method == "POST":
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError:
                return JSONResponse({"error": "body is not JSON"}, 400)
            if not isinstance(body, dict):
                return JSONResponse({"error": "body must be a JSON object"}, 400)
            client = auth.clients.get(str(body.get("client_id", next(iter(auth.clients)))))
            if client is None:
                return JSONResponse({"error": "unknown client_id"}, 400)
            if isinstance(body.get("password_grant"), bool):
                client.password_grant = body["password_grant"]
            if body.get("reset_failures"):
                auth.failures.clear()
        return JSONResponse(auth.as_json())

    async def rotate(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return JSONResponse({"error": "body is not JSON"}, 400)
        keep = body.get("keep_previous", True) if isinstance(body, dict) else True
        kid = auth.keys.rotate(keep_previous=bool(keep))
        return JSONResponse({"kid": kid, "kids": auth.keys.kids})

    return [
        Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
        Route("/.well-known/jwks.json", jwks, methods=["GET"]),
        Route("/userinfo", userinfo, methods=["GET"]),
        Route("/_sim/auth", control, methods=["GET", "POST"]),
        Route("/_sim/jwks/rotate", rotate, methods=["POST"]),
    ]
