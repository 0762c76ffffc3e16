"""The Authentication API token endpoint, ``POST /oauth/token``.

Grants are pluggable: :func:`token_routes` takes a mapping of ``grant_type`` to handler, so a later
module (password grants, id tokens) adds its handlers without touching this one. Token issuance
lives in :meth:`TenantState.issue_token`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from otel_auth0_sim.state import TenantState

ACCESS_TOKEN_LIFETIME = 86400
TokenParams = dict[str, str]
GrantHandler = Callable[[TenantState, TokenParams, Request], Awaitable[JSONResponse]]


def oauth_error(status: int, error: str, description: str) -> JSONResponse:
    """An Authentication API error body: ``{"error", "error_description"}``."""
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def read_params(request: Request) -> TokenParams | JSONResponse:
    """Parameters of a JSON or form-encoded body, or a 400 response for anything else."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type == "application/json":
            body: Any = json.loads(await request.body())
            if not isinstance(body, dict):
                return oauth_error(400, "invalid_request", "The request body must be a JSON object.")
            return {str(k): str(v) for k, v in body.items() if v is not None}
        if content_type == "application/x-www-form-urlencoded":
            return dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    except (ValueError, UnicodeDecodeError):
        return oauth_error(400, "invalid_request", "The request body could not be parsed.")
    return oauth_error(400, "invalid_request", "Use application/json or application/x-www-form-urlencoded.")


async def client_credentials_grant(state: TenantState, params: TokenParams, request: Request) -> JSONResponse:
    """Machine-to-machine tokens for the Management API."""
    client = state.clients.get(params.get("client_id", ""))
    if client is None or params.get("client_secret") != client.client_secret:
        return oauth_error(401, "access_denied", "Unauthorized")
    audience = params.get("audience", "")
    if not audience:
        return oauth_error(
            403,
            "access_denied",
            "No audience parameter was provided, and no default audience has been configured",
        )
    if audience != state.management_audience:
        return oauth_error(403, "access_denied", f"Service not enabled within domain: {audience}")
    token = state.issue_token(client, audience, ACCESS_TOKEN_LIFETIME)
    return JSONResponse(
        {
            "access_token": token,
            "expires_in": ACCESS_TOKEN_LIFETIME,
            "scope": " ".join(client.scopes),
            "token_type": "Bearer",
        }
    )


DEFAULT_GRANTS: Mapping[str, GrantHandler] = {"client_credentials": client_credentials_grant}


def token_routes(state: TenantState, grants: Mapping[str, GrantHandler] = DEFAULT_GRANTS) -> list[Route]:
    """The ``/oauth/token`` route dispatching on ``grant_type``."""

    async def token(request: Request) -> JSONResponse:
        state.counters.token_requests += 1
        params = await read_params(request)
        if isinstance(params, JSONResponse):
            return params
        grant_type = params.get("grant_type", "")
        handler = grants.get(grant_type)
        if handler is None:
            return oauth_error(
                403, "unsupported_grant_type", f"Unsupported grant type: {grant_type or '(missing)'}"
            )
        return await handler(state, params, request)

    return [Route("/oauth/token", token, methods=["POST"])]
