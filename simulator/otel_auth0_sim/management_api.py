"""Management API logs endpoints, ``GET /api/v2/logs`` and ``GET /api/v2/logs/{id}``.

:func:`management_route` wraps any Management API handler with what every such endpoint does on
Auth0: the token-bucket rate limit (429 with Auth0's body), bearer-token checking (401) and the
``x-ratelimit-*`` headers on every response. Later modules build their endpoints with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from otel_auth0_sim.search_query import SEARCH_FIELDS, Query, QuerySyntaxError, parse_query
from otel_auth0_sim.state import Event, TenantState

MAX_PAGE = 100
DEFAULT_PAGE = 50
SEARCH_RESULT_CAP = 1000
_ERROR_NAMES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
}

Handler = Callable[[Request], Awaitable[Response]]
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class Auth0JSON(JSONResponse):
    """JSON as Auth0 (Node's ``JSON.stringify``) writes it: UTF-8, and a lone surrogate in a stored
    string escaped as ``\\udXXX`` instead of failing to encode."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


class BadRequest(Exception):
    """A query-string problem reported as Auth0's 400 body."""


def api_error(status: int, message: str, error_code: str | None = None) -> JSONResponse:
    """A Management API error body: ``{"statusCode", "error", "message"[, "errorCode"]}``."""
    body: dict[str, Any] = {
        "statusCode": status,
        "error": _ERROR_NAMES.get(status, "Error"),
        "message": message,
    }
    if error_code:
        body["errorCode"] = error_code
    return Auth0JSON(body, status_code=status)


def unknown_route(state: TenantState) -> Callable[[Request, Exception], Awaitable[Response]]:
    """The answer to a path or method Auth0 does not serve: its JSON 404 (or 405), rate-limited and
    with the ``x-ratelimit-*`` headers like any other Management API response."""

    async def handler(request: Request, exc: Exception) -> Response:
        decision = state.bucket.take()
        if not decision.allowed:
            return rate_limited_response(decision.reset, decision.limit)
        status = getattr(exc, "status_code", 404)
        if status == 405:
            response = api_error(405, "Method Not Allowed", "method_not_allowed")
        else:
            response = api_error(404, "Not Found", "not_found")
        response.headers.update(decision.headers())
        return response

    return handler


def rate_limited_response(reset: int, limit: int) -> JSONResponse:
    """Auth0's 429 for a spent global Management API budget, with the rate-limit headers."""
    response = api_error(429, "Global limit has been reached", "too_many_requests")
    response.headers.update(
        {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    )
    return response


def management_route(
    state: TenantState,
    path: str,
    handler: Handler,
    methods: list[str] | None = None,
    scope: str | None = None,
) -> Route:
    """A route whose handler runs only within the rate limit, with a valid Management API token and,
    when ``scope`` is given, only for a token granted that scope (403 naming it otherwise)."""

    async def guarded(request: Request) -> Response:
        decision = state.bucket.take()
        if not decision.allowed:
            state.counters.rate_limited += 1
            return rate_limited_response(decision.reset, decision.limit)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            response: Response = api_error(401, "Missing authentication")
        elif not state.token_valid(token.strip(), state.management_audience):
            response = api_error(401, "Invalid token", "invalid_token")
        elif scope is not None and scope not in state.token_scopes(token.strip()):
            response = api_error(403, f"Insufficient scope, expected any of: {scope}", "insufficient_scope")
        else:
            try:
                response = await handler(request)
            except BadRequest as exc:
                response = api_error(400, str(exc), "invalid_query_string")
        response.headers.update(decision.headers())
        return response

    return Route(path, guarded, methods=methods or ["GET"])


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """Query parameter ``name`` as an integer in ``[low, high]`` (``default`` if absent); else BadRequest."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"Query validation error: '{name}' must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise BadRequest(f"Query validation error: '{name}' must be between {low} and {high}, got {value}")
    return value


def _api_row(event: Event) -> Event:
    return {**event, "_id": event["log_id"]}


def logs_routes(state: TenantState) -> list[Route]:
    """Routes of the logs endpoints (checkpoint and search mode, single log)."""

    async def list_logs(request: Request) -> Response:
        params = request.query_params
        search_keys = {
            "q",
            "search",
            "page",
            "per_page",
            "sort",
            "include_totals",
            "fields",
            "include_fields",
        }
        if "from" in params or ("take" in params and not search_keys & set(params)):
            return _checkpoint_page(state, request)
        return _search(state, request)

    async def get_log(request: Request) -> Response:
        event = state.get_event(request.path_params["log_id"])
        if event is None:
            return api_error(404, "log not found", "inexistent_log")
        return Auth0JSON(_api_row(event))

    return [
        management_route(state, "/api/v2/logs", list_logs, scope="read:logs"),
        management_route(state, "/api/v2/logs/{log_id}", get_log, scope="read:logs"),
    ]


def _checkpoint_page(state: TenantState, request: Request) -> Response:
    """Up to ``take`` events after ``from`` in log-id order, with the ``Link`` to the next page."""
    take = int_param(request, "take", DEFAULT_PAGE, 1, MAX_PAGE)
    start = request.query_params.get("from")
    if start and not (start.isascii() and start.isdigit()):
        raise BadRequest(f"Query validation error: 'from' must be a log_id, got {start!r}")
    page = state.events_after(start or None, take)
    if page:
        next_url = str(request.url.replace(query=urlencode({"from": page[-1]["log_id"], "take": take})))
    else:
        next_url = str(request.url)  # caught up: poll the same URL again later
    return Auth0JSON([_api_row(e) for e in page], headers={"Link": f'<{next_url}>; rel="next"'})


def _search(state: TenantState, request: Request) -> Response:
    """Search mode: ``q`` (or the SDK's ``search``), ``sort``, ``page``/``per_page`` (within the first
    1,000 results), ``fields``/``include_fields``, ``include_totals``."""
    params = request.query_params
    text = params.get("q") or params.get("search")
    try:
        query: Query | None = parse_query(text) if text else None
    except QuerySyntaxError as exc:
        raise BadRequest(f"Invalid query: {exc}") from None
    page = int_param(request, "page", 0, 0, SEARCH_RESULT_CAP)
    per_page = int_param(request, "per_page", DEFAULT_PAGE, 1, MAX_PAGE)
    if page * per_page >= SEARCH_RESULT_CAP:
        raise BadRequest(
            f"You can only page through the first {SEARCH_RESULT_CAP} records. Use the checkpoint "
            "(from, take) or a narrower query instead."
        )
    sort_field, descending = _sort(params.get("sort", "date:-1"))
    hits = [e for e in state.events if query is None or query.matches(e)]
    hits.sort(key=lambda e: (str(e.get(sort_field, "")), e["log_id"]), reverse=descending)
    hits = hits[:SEARCH_RESULT_CAP]
    start = page * per_page
    rows = [
        _project(_api_row(e), params.get("fields"), params.get("include_fields", "true"))
        for e in hits[start : start + per_page]
    ]
    if params.get("include_totals", "false").lower() == "true":
        return Auth0JSON(
            {"start": start, "limit": per_page, "length": len(rows), "total": len(hits), "logs": rows}
        )
    return Auth0JSON(rows)


def _sort(spec: str) -> tuple[str, bool]:
    field, _, direction = spec.partition(":")
    if field not in SEARCH_FIELDS or direction not in ("1", "-1"):
        raise BadRequest(f"Query validation error: 'sort' must be <field>:1 or <field>:-1, got {spec!r}")
    return field, direction == "-1"


def _project(row: Event, fields: str | None, include_fields: str) -> Event:
    if not fields:
        return row
    names = {f.strip() for f in fields.split(",") if f.strip()}
    if include_fields.lower() == "false":
        return {k: v for k, v in row.items() if k not in names}
    return {k: v for k, v in row.items() if k in names}
