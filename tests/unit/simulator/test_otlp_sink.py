"""The simulator's stand-in OTLP/HTTP backend decodes what it is sent, counts it, and refuses non-OTLP."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span
from starlette.applications import Starlette

from otel_auth0_sim.otlp_sink import otlp_sink_routes
from otel_auth0_sim.state import TenantState

pytestmark = pytest.mark.anyio


@pytest.fixture
def client(state: TenantState) -> httpx.AsyncClient:
    app = Starlette(routes=otlp_sink_routes(state))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim")


async def test_spans_are_counted_and_answered_as_protobuf(
    client: httpx.AsyncClient, state: TenantState
) -> None:
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=[Span(name="a"), Span(name="b")])])]
    )
    response = await client.post(
        "/v1/traces",
        content=request.SerializeToString(),
        headers={"content-type": "application/x-protobuf"},
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/x-protobuf"
    assert state.otlp_received == {"traces": 2}


async def test_json_logs_are_counted(client: httpx.AsyncClient, state: TenantState) -> None:
    body = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": {"stringValue": "x"}}]}]}]}
    response = await client.post("/v1/logs", json=body)
    assert response.status_code == 200 and response.json() == {}
    assert state.otlp_received == {"logs": 1}


async def test_a_body_that_is_not_otlp_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/metrics", content=b"\xff\xff not protobuf", headers={"content-type": "application/x-protobuf"}
    )
    assert response.status_code == 400 and "not an OTLP metrics export request" in response.json()["error"]
