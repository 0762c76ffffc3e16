"""One Log Stream listener for several tenants (``tenants:``): each tenant's Log Stream receiver mounts
its own path, and every request is handled by the receiver of the path it names (with that tenant's
token, queue and checkpoint), so a delivery can never land in another tenant's stream. A POST to a
path no tenant mounted answers 404 and is logged (once a minute with counts): a stream configured
with a wrong URL shows here. Its incidents (those of every listener, and ``unknown_path``) are counted
in ``otel_auth0.listener.incidents`` once, with the counter of the first tenant that mounted a path (the
listener is the process's, not one tenant's). Binds at construction, like a single receiver's
listener."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from otel_auth0.http_listen import (
    IncidentCounter,
    LimitedServer,
    ListenerLimits,
    bind,
    bound_address,
    reserve_open_files,
)
from otel_auth0.incidents import Incidents

log = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]
# The incident of a POST to a path no tenant serves (404), besides every listener's (http_listen).
UNKNOWN_PATH = "unknown_path"


class SharedStreamListener:
    """A webhook listener on ``listen`` serving the paths tenants mount on it."""

    def __init__(self, listen: str, limits: ListenerLimits) -> None:
        """``limits``: the tenants' shared ``max_connections``, header time, size and count."""
        self._limits = limits
        reserve_open_files(limits)
        self._socket = bind(listen, "receivers.log_stream.listen")
        self.address = bound_address(self._socket)
        self._routes: dict[str, Handler] = {}
        self._server: LimitedServer | None = None
        self._serving: asyncio.Task[None] | None = None
        self.closing = False
        self._incidents = Incidents(log)
        self._count: IncidentCounter | None = None

    @property
    def paths(self) -> list[str]:
        """The mounted paths."""
        return list(self._routes)

    def mount(self, path: str, handler: Handler, count: IncidentCounter | None = None) -> None:
        """Serve POSTs to ``path`` with ``handler`` (one tenant's receiver); a path twice is an error.
        The first ``count`` given counts the listener's incidents."""
        if path in self._routes:
            raise ValueError(f"receivers.log_stream.path: {path} is already served on {self.address}")
        self._routes[path] = handler
        if self._count is None and count is not None:
            self._count = count
            count(UNKNOWN_PATH, 0)

    def app(self) -> Starlette:
        """Every mounted path and ``GET /healthz``."""
        routes = [Route(path, handler, methods=["POST"]) for path, handler in self._routes.items()]
        return Starlette(
            routes=[
                *routes,
                Route("/healthz", self._health, methods=["GET"]),
                Route(
                    "/{path:path}", self._unknown, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
                ),
            ]
        )

    async def start(self) -> None:
        """Start serving in the running loop."""
        config = uvicorn.Config(
            self.app(),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
            server_header=False,
        )
        self._server = LimitedServer(config, self._limits, self._count)
        self._serving = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        log.info("log_stream listening on %s for %s", self.address, ", ".join(self._routes))

    async def aclose(self) -> None:
        """Stop serving (after every tenant's queue was drained; until then receivers answer 503)."""
        self.closing = True
        if self._server is not None and self._serving is not None and not self._serving.done():
            self._server.should_exit = True
            await self._serving

    async def _unknown(self, request: Request) -> JSONResponse:
        if request.method != "POST":
            return JSONResponse({"error": "not_found", "reason": "not found"}, 404)
        if self._count is not None:
            self._count(UNKNOWN_PATH, 1)
        self._incidents.report(
            UNKNOWN_PATH,
            logging.WARNING,
            "log_stream: POST to %s on %s, which no tenant serves (404); tenants' paths: %s",
            request.url.path[:200],
            self.address,
            ", ".join(self._routes),
        )
        return JSONResponse({"error": "not_found", "reason": "no tenant's Log Stream at this path"}, 404)

    async def _health(self, request: Request) -> JSONResponse:
        if self.closing:
            return JSONResponse({"status": "shutting_down"}, 503)
        return JSONResponse({"status": "ok"})
