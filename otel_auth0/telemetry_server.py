"""The collector's own HTTP server (``telemetry.listen``): ``/healthz``, ``/readyz`` and ``/metrics``.

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
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from otel_auth0.health import HealthModel
from otel_auth0.http_listen import LimitedServer, ListenerLimits, bind, bound_address, reserve_open_files
from otel_auth0.instruments import Instruments

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

    def app(self) -> Starlette:
        """The ASGI application."""
        return Starlette(
            routes=[
                Route("/healthz", self._healthz, methods=["GET"]),
                Route("/readyz", self._readyz, methods=["GET"]),
                Route("/metrics", self._metrics, methods=["GET"]),
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
        log.info("health and metrics on http://%s (/healthz, /readyz, /metrics)", self.address)

    async def aclose(self) -> None:
        """Stop serving."""
        if self._server is not None and self._serving is not None:
            if not self._serving.done():
                self._server.should_exit = True
            await self._serving

    async def _healthz(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def _readyz(self, request: Request) -> JSONResponse:
        reasons = await asyncio.to_thread(self._health.reasons)
        if reasons:
            return JSONResponse({"status": "not_ready", "reasons": reasons}, 503)
        return JSONResponse({"status": "ready"})

    async def _metrics(self, request: Request) -> Response:
        body = await asyncio.to_thread(generate_latest, self._registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
