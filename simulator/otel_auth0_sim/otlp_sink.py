"""A stand-in OTLP/HTTP backend (``POST /v1/traces``, ``/v1/logs``, ``/v1/metrics``), so recipes that
need an exporter endpoint (the readiness gate "Probe telemetry reaches the configured OTLP endpoint")
run with no backend and no network beyond loopback. Bodies are decoded as OTLP (protobuf or JSON);
one that does not decode is answered 400. ``GET /_sim/stats`` counts what arrived under ``otlp``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from otel_auth0_sim.state import TenantState


def _spans(request: Any) -> int:
    return sum(len(scope.spans) for resource in request.resource_spans for scope in resource.scope_spans)


def _log_records(request: Any) -> int:
    return sum(len(scope.log_records) for resource in request.resource_logs for scope in resource.scope_logs)


def _metrics(request: Any) -> int:
    return sum(
        len(scope.metrics) for resource in request.resource_metrics for scope in resource.scope_metrics
    )


# signal → (request type, response type, item counter)
SIGNALS: dict[str, tuple[type[Message], type[Message], Callable[[Any], int]]] = {
    "traces": (ExportTraceServiceRequest, ExportTraceServiceResponse, _spans),
    "logs": (ExportLogsServiceRequest, ExportLogsServiceResponse, _log_records),
    "metrics": (ExportMetricsServiceRequest, ExportMetricsServiceResponse, _metrics),
}


def otlp_sink_routes(state: TenantState) -> list[Route]:
    """``POST /v1/{traces,logs,metrics}``: decode, count in ``state.otlp_received``, answer success."""

    def handler(signal: str) -> Callable[[Request], Any]:
        request_type, response_type, count = SIGNALS[signal]

        async def export(request: Request) -> Response:
            body = await request.body()
            as_json = request.headers.get("content-type", "").startswith("application/json")
            message = request_type()
            try:
                if as_json:
                    json_format.Parse(body, message, ignore_unknown_fields=True)
                else:
                    message.ParseFromString(body)
            except (DecodeError, json_format.ParseError, UnicodeDecodeError) as error:
                return JSONResponse({"error": f"not an OTLP {signal} export request: {error}"}, 400)
            state.otlp_received[signal] = state.otlp_received.get(signal, 0) + count(message)
            if as_json:
                return JSONResponse({})
            return Response(response_type().SerializeToString(), media_type="application/x-protobuf")

        return export

    return [Route(f"/v1/{signal}", handler(signal), methods=["POST"]) for signal in SIGNALS]
