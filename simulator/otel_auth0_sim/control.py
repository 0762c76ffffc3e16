"""Test control endpoints under ``/_sim/`` (no authentication; loopback test use only).

- ``POST /_sim/faults`` ``{"path_prefix": "/api/v2/logs", "status": 503, "count": 3, "after": 0}``:
  let ``after`` requests under the prefix through, then answer the next ``count`` with that status
  (429 comes with ``x-ratelimit-*`` headers and a
  reset ``reset_after`` seconds ahead, default 1); ``"status": 0`` drops the connection mid-response.
  ``GET`` lists pending faults, ``DELETE`` clears them.
- ``POST /_sim/events``: ``{"generate": N}`` generates N events now; ``{"events": [...]}`` (or a bare
  list) stores the given events, assigning log ids. Answers ``{"log_ids": [...]}``. ``GET`` answers
  every stored event (a JSON array in log id order, a format ``otel-auth0 import`` and ``detect`` read).
- ``GET /_sim/stats``: requests by path and status, 429s sent, token requests, generated and stored
  counts, stored events by type, stream status, profile, items the stand-in OTLP backend received.
- ``GET /_sim/log-ids``: ``{"log_ids": [...]}``, every stored log id in order.
- ``GET|POST /_sim/stream`` ``{"paused": true|false}``: pause or resume the Log Stream pusher
  (resuming also lifts an automatic pause after sustained failure).
- ``POST /_sim/profile`` ``{"profile": "good"|"misconfigured"}``.
- ``POST /_sim/rate-limit`` ``{"limit": N}``: a new Management API budget (requests/second, burst N).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from otel_auth0_sim.management_api import Auth0JSON
from otel_auth0_sim.rate_limit import TokenBucket
from otel_auth0_sim.state import PROFILES, Fault, TenantState
from otel_auth0_sim.traffic import TrafficGenerator, emit


class ControlError(Exception):
    """A malformed control request (answered with 400)."""


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ControlError(f"body is not JSON: {exc}") from None


def _positive_int(body: dict[str, Any], key: str, default: int | None = None, minimum: int = 1) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ControlError(f"{key!r} must be an integer >= {minimum}")
    return value


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ControlError("body must be a JSON object")
    return body


def control_routes(state: TenantState, generator: TrafficGenerator) -> list[Route]:
    """The ``/_sim/*`` routes."""

    async def faults(request: Request) -> JSONResponse:
        if request.method == "POST":
            body = _object(await _json_body(request))
            prefix = body.get("path_prefix")
            if not isinstance(prefix, str) or not prefix.startswith("/"):
                raise ControlError("'path_prefix' must be a path starting with '/'")
            status = _positive_int(body, "status", minimum=0)
            if status != 0 and not 400 <= status <= 599:
                raise ControlError(
                    "'status' must be an HTTP error status (400-599) or 0 to drop the connection"
                )
            fault = Fault(
                prefix,
                status,
                _positive_int(body, "count", 1),
                _positive_int(body, "reset_after", 1, 0),
                _positive_int(body, "after", 0, 0),
            )
            state.faults.append(fault)
        elif request.method == "DELETE":
            state.faults.clear()
        return JSONResponse({"faults": [asdict(f) for f in state.faults]})

    async def events(request: Request) -> JSONResponse:
        if request.method == "GET":
            return Auth0JSON(state.events)
        body = await _json_body(request)
        if isinstance(body, dict) and "generate" in body:
            stored = emit(state, generator, _positive_int(body, "generate"))
        else:
            given = body.get("events") if isinstance(body, dict) else body
            if not isinstance(given, list) or not all(
                isinstance(e, dict) and isinstance(e.get("type"), str) for e in given
            ):
                raise ControlError(
                    "expected {'generate': N}, {'events': [...]} or a list of events with a 'type'"
                )
            stored = [state.add_event(e) for e in given]
        return JSONResponse({"log_ids": [e["log_id"] for e in stored]})

    async def stats(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                **state.counters.as_json(),
                "stored": len(state.events),
                "types": dict(Counter(str(e.get("type")) for e in state.events)),
                "stream": asdict(state.stream),
                "profile": state.profile,
                "otlp": state.otlp_received,
            }
        )

    async def log_ids(request: Request) -> JSONResponse:
        return JSONResponse({"log_ids": [e["log_id"] for e in state.events]})

    async def stream(request: Request) -> JSONResponse:
        if request.method == "POST":
            paused = _object(await _json_body(request)).get("paused")
            if not isinstance(paused, bool):
                raise ControlError("'paused' must be true or false")
            state.stream.paused = paused
            if not paused:
                state.stream.suspended = False
            state.changed.set()
        return JSONResponse(asdict(state.stream))

    async def profile(request: Request) -> JSONResponse:
        name = _object(await _json_body(request)).get("profile")
        if name not in PROFILES:
            raise ControlError(f"'profile' must be one of {', '.join(PROFILES)}")
        state.profile = name
        return JSONResponse({"profile": state.profile})

    async def rate_limit(request: Request) -> JSONResponse:
        limit = _positive_int(_object(await _json_body(request)), "limit")
        state.bucket = TokenBucket(limit, limit)
        return JSONResponse({"limit": limit})

    return [
        Route("/_sim/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sim/events", events, methods=["GET", "POST"]),
        Route("/_sim/stats", stats, methods=["GET"]),
        Route("/_sim/log-ids", log_ids, methods=["GET"]),
        Route("/_sim/stream", stream, methods=["GET", "POST"]),
        Route("/_sim/profile", profile, methods=["POST"]),
        Route("/_sim/rate-limit", rate_limit, methods=["POST"]),
    ]


async def control_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Render :class:`ControlError` as ``400 {"error": ...}``."""
    return JSONResponse({"error": str(exc)}, status_code=400)
