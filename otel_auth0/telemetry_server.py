"""The collector's own HTTP server (``telemetry.listen``): ``/healthz``, ``/readyz``, ``/metrics``, and the
status page (``/``, ``/status``, ``/status.json``) once the runtime set :attr:`TelemetryServer.status`.

``/metrics`` renders the ``otel_auth0.*`` self-metrics in the Prometheus text format through the
OpenTelemetry Prometheus exporter (a metric reader on the collector's MeterProvider).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import uvicorn
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from otel_auth0.health import HealthModel
from otel_auth0.http_listen import LimitedServer, ListenerLimits, bind, bound_address, reserve_open_files
from otel_auth0.instruments import Instruments
from otel_auth0.status_page import SAMPLE_INTERVAL, StatusPage

log = logging.getLogger(__name__)

SELF_METRIC_PREFIX = "otel_auth0_"


class SelfMetricsRegistry(CollectorRegistry):
    """A registry that exposes only the collector's own metrics (the tenant's go out over OTLP)."""

    def collect(self) -> Iterable[Metric]:
        """The registered collectors' ``otel_auth0_*`` families."""
        return (family for family in super().collect() if family.name.startswith(SELF_METRIC_PREFIX))


def prometheus_reader() -> tuple[PrometheusMetricReader, CollectorRegistry]:
    """A metric reader for the MeterProvider and the registry ``/metrics`` renders."""
    registry = SelfMetricsRegistry(auto_describe=True)
    reader = PrometheusMetricReader(disable_target_info=True, scope_info_enabled=False, registry=registry)
    return reader, registry


class TelemetryServer:
    """Binds at construction (a busy port is an error before anything starts); serves until closed."""

    def __init__(
        self,
        listen: str,
        health: HealthModel,
        registry: CollectorRegistry,
        max_connections: int = 64,
        header_timeout: float = 10.0,
    ) -> None:
        self._health = health
        self._registry = registry
        self._limits = ListenerLimits("telemetry", "telemetry", max_connections, header_timeout)
        reserve_open_files(self._limits)
        self._socket = bind(listen, "telemetry.listen")
        self.address = bound_address(self._socket)
        self._server: LimitedServer | None = None
        self._serving: asyncio.Task[None] | None = None
        self.status: StatusPage | None = None
        self._sampling: asyncio.Task[None] | None = None

    def app(self) -> Starlette:
        """The ASGI application."""
        return Starlette(
            routes=[
                Route("/healthz", self._healthz, methods=["GET"]),
                Route("/readyz", self._readyz, methods=["GET"]),
                Route("/metrics", self._metrics, methods=["GET"]),
                Route("/", self._status_html, methods=["GET"]),
                Route("/status", self._status_html, methods=["GET"]),
                Route("/status.json", self._status_json, methods=["GET"]),
            ]
        )

    async def start(self, instruments: Instruments | None = None) -> None:
        """Start serving in the running loop (counting its incidents in ``instruments``)."""
        config = uvicorn.Config(
            self.app(), log_level="warning", access_log=False, lifespan="off", server_header=False
        )
        count = instruments.listener_counter("telemetry") if instruments is not None else None
        self._server = LimitedServer(config, self._limits, count)
        self._serving = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        if self.status is not None:
            self._sampling = asyncio.create_task(self._sample(self.status))
        log.info(
            "health, metrics and status on http://%s (/healthz, /readyz, /metrics, /status)", self.address
        )

    async def aclose(self) -> None:
        """Stop serving."""
        if self._sampling is not None:
            self._sampling.cancel()
        if self._server is not None and self._serving is not None:
            if not self._serving.done():
                self._server.should_exit = True
            await self._serving

    async def _healthz(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def _readyz(self, request: Request) -> JSONResponse:
        reasons = await asyncio.to_thread(self._health.reasons)
        body: dict[str, object] = {"status": "not_ready" if reasons else "ready"}
        if reasons:
            body["reasons"] = reasons
        if self._health.leases is not None:
            body["leases"] = await asyncio.to_thread(self._health.leases)
        return JSONResponse(body, 503 if reasons else 200)

    async def _metrics(self, request: Request) -> Response:
        body = await asyncio.to_thread(generate_latest, self._registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    async def _sample(self, status: StatusPage) -> None:
        while True:
            try:
                await asyncio.to_thread(status.sample)
            except Exception:  # the page shows what it has; sampling tries again
                log.exception("status page: sampling failed")
            await asyncio.sleep(SAMPLE_INTERVAL)

    async def _status_html(self, request: Request) -> Response:
        if self.status is None:
            return Response("no status page", 404)
        return HTMLResponse(await asyncio.to_thread(self.status.html), headers={"Cache-Control": "no-store"})

    async def _status_json(self, request: Request) -> Response:
        if self.status is None:
            return JSONResponse({"error": "no status page"}, 404)
        return JSONResponse(
            await asyncio.to_thread(self.status.as_json), headers={"Cache-Control": "no-store"}
        )
