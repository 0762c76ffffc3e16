"""Management API configuration reads, served from the tenant's profile with Auth0's contract.

Lists paginate as Auth0 documents: offset lists take ``page`` (from 0), ``per_page`` (default 50, at
most 100; more is a 400) and ``include_totals`` (``{start, limit, total, <key>}`` instead of a bare
array; actions and bindings always answer ``{total, page, per_page, <key>}``); checkpoint lists
(connections, client grants, event streams) take ``from`` and ``take`` (at most 100) and answer
``{<key>, next}`` with ``next`` only while more remain. Each route needs its ``read:*`` scope (403
naming it otherwise). Features the profile's plan lacks answer 403 with Auth0's error body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from otel_auth0_sim.management_api import (
    DEFAULT_PAGE,
    MAX_PAGE,
    BadRequest,
    api_error,
    int_param,
    management_route,
)
from otel_auth0_sim.state import TenantState

Config = Callable[[], dict[str, Any]]
PLAN_MESSAGES = {
    "event_streams": "Please upgrade your subscription to enable Event Streams.",
    "network_acls": "Please upgrade your subscription to enable Tenant ACL Management.",
    "bot-detection": "Please upgrade your subscription to enable Bot Detection.",
}


Shape = Callable[[dict[str, Any]], dict[str, Any]]


def _same(row: dict[str, Any]) -> dict[str, Any]:
    return row


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").lower() == "true"


def offset_page(
    request: Request,
    rows: list[dict[str, Any]],
    key: str,
    *,
    envelope: bool = False,
    shape: Shape = _same,
) -> Response:
    """``rows`` paged by ``page``/``per_page``; ``envelope`` answers ``{total, page, per_page, key}``;
    ``shape`` turns each served row into its answer (field projection)."""
    page = int_param(request, "page", 0, 0, 10**6)
    per_page = int_param(request, "per_page", DEFAULT_PAGE, 1, MAX_PAGE)
    start = page * per_page
    chunk = [shape(row) for row in rows[start : start + per_page]]
    if envelope:
        return JSONResponse({"total": len(rows), "page": page, "per_page": per_page, key: chunk})
    if _flag(request, "include_totals"):
        return JSONResponse({"start": start, "limit": per_page, "total": len(rows), key: chunk})
    return JSONResponse(chunk)


def checkpoint_page(
    request: Request, rows: list[dict[str, Any]], key: str, id_key: str = "id", shape: Shape = _same
) -> Response:
    """``rows`` from the one whose id is ``from``, ``take`` of them, with ``next`` while more remain."""
    take = int_param(request, "take", DEFAULT_PAGE, 1, MAX_PAGE)
    start_id = request.query_params.get("from")
    start = 0
    if start_id:
        ids = [str(row.get(id_key)) for row in rows]
        if start_id not in ids:
            raise BadRequest(f"Query validation error: 'from' is not a valid checkpoint: {start_id!r}")
        start = ids.index(start_id)
    chunk = [shape(row) for row in rows[start : start + take]]
    body: dict[str, Any] = {key: chunk}
    if start + take < len(rows):
        body["next"] = str(rows[start + take].get(id_key))
    return JSONResponse(body)


def config_routes(state: TenantState, current: Config) -> list[Route]:
    """Every configuration read the readiness suite and Auth0's audit tools send."""

    def plan_lacks(feature: str) -> Response | None:
        if feature in current()["plan_lacks"]:
            return api_error(403, PLAN_MESSAGES[feature], "operation_not_supported")
        return None

    def obj(key: str, missing: str | None = None) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            value = current()[key]
            if value is None:
                return api_error(404, missing or "Not Found", "inexistent_resource")
            return JSONResponse(value)

        return handler

    async def event_streams(request: Request) -> Response:
        return plan_lacks("event_streams") or checkpoint_page(
            request, current()["event_streams"], "eventStreams"
        )

    async def attack_protection(request: Request) -> Response:
        part = request.path_params["part"]
        refused = plan_lacks(part) if part in PLAN_MESSAGES else None
        settings = current()["attack_protection"].get(part)
        if refused is not None:
            return refused
        return JSONResponse(settings) if settings is not None else api_error(404, "Not Found")

    async def captcha(request: Request) -> Response:
        return JSONResponse(current()["attack_protection"]["captcha"])

    async def triggers(request: Request) -> Response:
        return JSONResponse({"triggers": current()["action_triggers"]})

    async def bindings(request: Request) -> Response:
        rows = current()["action_bindings"].get(request.path_params["trigger"], [])
        return offset_page(request, rows, "bindings", envelope=True)

    def read(path: str, handler: Callable[[Request], Any], scope: str) -> Route:
        return management_route(state, path, handler, scope=scope)

    def listed(path: str, key: str, scope: str) -> Route:
        async def handler(request: Request) -> Response:
            return JSONResponse(current()[key])

        return read(path, handler, scope)

    return [
        read("/api/v2/tenants/settings", obj("settings"), "read:tenant_settings"),
        read("/api/v2/attack-protection/captcha", captcha, "read:attack_protection"),
        read("/api/v2/attack-protection/{part}", attack_protection, "read:attack_protection"),
        read("/api/v2/event-streams", event_streams, "read:event_streams"),
        listed("/api/v2/guardian/factors", "guardian_factors", "read:guardian_factors"),
        listed("/api/v2/guardian/policies", "guardian_policies", "read:mfa_policies"),
        read(
            "/api/v2/guardian/factors/phone/selected-provider", obj("phone_provider"), "read:guardian_factors"
        ),
        read("/api/v2/prompts", obj("prompts"), "read:prompts"),
        read("/api/v2/branding", obj("branding"), "read:branding"),
        read("/api/v2/actions/triggers", triggers, "read:actions"),
        read("/api/v2/actions/triggers/{trigger}/bindings", bindings, "read:actions"),
    ]
