"""ASGI middleware that injects configured faults and counts requests by path and status."""

from __future__ import annotations

import time

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from otel_auth0.simulator.management_api import api_error, rate_limited_response
from otel_auth0.simulator.state import Fault, TenantState

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
