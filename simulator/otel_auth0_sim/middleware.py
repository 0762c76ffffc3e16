"""ASGI middleware that injects configured faults and slowdowns and counts requests by path and status."""

from __future__ import annotations

import asyncio
import hmac
import time
from dataclasses import dataclass

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from otel_auth0_sim.management_api import api_error, rate_limited_response
from otel_auth0_sim.state import Fault, TenantState

CONTROL_PREFIX = "/_sim/"


class FaultsAndCounters:
    """Answers matching requests with an injected fault; counts every non-control request."""

    def __init__(self, app: ASGIApp, state: TenantState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        status = 0

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        delay = self.state.take_slowdown(path)
        if delay:
            await asyncio.sleep(delay)
        fault = self.state.take_fault(path)
        if fault is None:
            await self.app(scope, receive, counting_send)
        elif fault.status == 0:
            await _drop_connection(counting_send)
        else:
            await _fault_response(fault)(scope, receive, counting_send)
        self.state.counters.requests[(path, status)] += 1


def _fault_response(fault: Fault) -> JSONResponse:
    if fault.status == 429:
        return rate_limited_response(int(time.time()) + fault.reset_after, limit=0)
    return api_error(fault.status, "Injected fault")


async def _drop_connection(send: Send) -> None:
    """Start a response promising more body than is sent; the server then closes the connection."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1024")]})
    await send({"type": "http.response.body", "body": b"[", "more_body": True})


@dataclass(frozen=True)
class ControlAccess:
    """Who may use the ``/_sim/`` control endpoints: nobody (the default), anyone (``enabled``, for
    loopback tests and the demo), or holders of ``token`` (``Authorization: Bearer <token>``)."""

    enabled: bool = False
    token: str | None = None


CONTROLS_OFF = ControlAccess()


class ControlGate:
    """Answers ``/_sim/`` requests with 404 while controls are off, 401 without the control token."""

    def __init__(self, app: ASGIApp, access: ControlAccess) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(CONTROL_PREFIX):
            denied = self._denied(scope)
            if denied is not None:
                await denied(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _denied(self, scope: Scope) -> JSONResponse | None:
        if self.access.token:
            sent = dict(scope.get("headers") or []).get(b"authorization", b"")
            expected = f"Bearer {self.access.token}".encode()
            if hmac.compare_digest(sent, expected):
                return None
            return JSONResponse({"error": "the /_sim/ controls need the control token"}, status_code=401)
        if self.access.enabled:
            return None
        return JSONResponse(
            {"error": "the /_sim/ controls are off; start the simulator with --enable-controls"},
            status_code=404,
        )
