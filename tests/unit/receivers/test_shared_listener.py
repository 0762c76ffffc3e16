"""The Log Stream listener tenants share: each path goes to its own tenant's handler, a path twice is
refused, a POST to a path no tenant serves is 404 and logged."""

from __future__ import annotations

import logging

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.testclient import TestClient

from otel_auth0.http_listen import ListenerLimits
from otel_auth0.receivers.shared_listener import Handler, SharedStreamListener


def handler(tenant: str) -> Handler:
    async def handle(request: Request) -> Response:
        return JSONResponse({"tenant": tenant})

    return handle


def test_each_path_reaches_its_tenant_and_unknown_paths_are_404(caplog: pytest.LogCaptureFixture) -> None:
    listener = SharedStreamListener(
        "127.0.0.1:0", ListenerLimits("log_stream", "receivers.log_stream", 16, 5.0)
    )
    listener.mount("/auth0/acme/logs", handler("acme"))
    listener.mount("/auth0/globex/logs", handler("globex"))
    with pytest.raises(ValueError, match="/auth0/acme/logs is already served"):
        listener.mount("/auth0/acme/logs", handler("other"))
    client = TestClient(listener.app())
    assert client.post("/auth0/acme/logs", json=[]).json() == {"tenant": "acme"}
    assert client.post("/auth0/globex/logs", json=[]).json() == {"tenant": "globex"}
    assert client.get("/healthz").status_code == 200
    with caplog.at_level(logging.WARNING):
        unknown = client.post("/auth0/initech/logs", json=[])
        assert client.get("/favicon.ico").status_code == 404
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1 and "POST to /auth0/initech/logs" in warnings[0], warnings
    assert "/auth0/acme/logs, /auth0/globex/logs" in warnings[0]
