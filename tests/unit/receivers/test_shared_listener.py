"""The Log Stream listener tenants share: each path goes to its own tenant's handler, a path twice is
refused, a POST to a path no tenant serves is 404 and logged; its incidents are counted in
``otel_auth0.listener.incidents`` like a single receiver's listener's (real sockets)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable

import httpx
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


async def exercise(listener: SharedStreamListener) -> tuple[bytes, int]:
    """Bytes that are not HTTP, then a POST to a path no tenant serves: the answers."""
    await listener.start()
    host, port = listener.address.rsplit(":", 1)
    try:
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        garbage = await reader.read(4096)
        writer.close()
        url = f"http://{listener.address}/auth0/initech/logs"
        unknown = await asyncio.to_thread(httpx.post, url, json=[], timeout=10)
    finally:
        await listener.aclose()
    return garbage, unknown.status_code


def test_its_incidents_are_counted_once_with_the_first_tenants_counter() -> None:
    counted: Counter[tuple[str, str]] = Counter()

    def counter(tenant: str) -> Callable[[str, int], None]:
        def count(reason: str, times: int) -> None:
            counted[(tenant, reason)] += times

        return count

    limits = ListenerLimits("log_stream", "receivers.log_stream", 16, 5.0)
    listener = SharedStreamListener("127.0.0.1:0", limits)
    listener.mount("/auth0/acme/logs", handler("acme"), counter("acme"))
    listener.mount("/auth0/globex/logs", handler("globex"), counter("globex"))
    garbage, unknown = asyncio.run(exercise(listener))
    print(f"\nshared listener incidents counted: {dict(counted)}")
    assert garbage.startswith(b"HTTP/1.1 400") and unknown == 404
    assert counted[("acme", "bad_request")] == 1 and counted[("acme", "unknown_path")] == 1
    assert ("acme", "header_timeout") in counted  # every series exists from the start, at 0
    assert not any(tenant == "globex" for tenant, _ in counted)
