"""Issue 20.6: refused credentials, a missing scope and a domain that does not resolve are recognised as
such (``error.type``), fail ``/readyz`` from the first failed poll naming the receiver and the class, and
are retried on a bounded backoff, not a fixed 300 s."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from otel_auth0.auth0.management import Auth0Error, ManagementClient
from otel_auth0.config import Auth0Config, HealthConfig
from otel_auth0.health import HealthModel, QueueState, ReceiverState
from otel_auth0.receivers.logs_api import LogsApiReceiver
from tests.unit.receivers.test_logs_api_unit import DOMAIN, FakeTenant, make_receiver

CONFIG = Auth0Config(domain=DOMAIN, client_id="id", client_secret="wrong")


def client(handler: httpx.MockTransport) -> ManagementClient:
    return ManagementClient(CONFIG, transport=handler)


def failure(handler: httpx.MockTransport) -> Auth0Error:
    async def go() -> Auth0Error:
        api = client(handler)
        try:
            await api.get("/api/v2/logs")
        except Auth0Error as error:
            return error
        finally:
            await api.aclose()
        raise AssertionError("no error")

    return asyncio.run(go())


def test_a_refused_client_secret_is_credentials() -> None:
    body = {"error": "access_denied", "error_description": "Unauthorized"}
    error = failure(httpx.MockTransport(lambda request: httpx.Response(401, json=body)))
    assert error.error_type == "credentials" and not error.retryable
    assert "check auth0.client_id and auth0.client_secret" in str(error)


def test_a_missing_read_logs_scope_is_scope() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 86400})
        body = {
            "statusCode": 403,
            "error": "Forbidden",
            "message": "Insufficient scope, expected any of: read:logs",
            "errorCode": "insufficient_scope",
        }
        return httpx.Response(403, json=body)

    error = failure(httpx.MockTransport(handler))
    assert error.error_type == "scope" and "read:logs" in str(error)


def test_a_plain_403_is_not_called_a_scope_problem() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 86400})
        return httpx.Response(403, json={"error": "Forbidden", "errorCode": "operation_not_supported"})

    assert failure(httpx.MockTransport(handler)).error_type == "http_403"


def test_dns_failure_and_unreachable_host() -> None:
    def unresolvable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known") from socket.gaierror(-2, "x")

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    dns = failure(httpx.MockTransport(unresolvable))
    assert dns.error_type == "dns" and f"the domain {DOMAIN} does not resolve" in str(dns)
    assert failure(httpx.MockTransport(refused)).error_type == "unreachable"


def test_the_poller_fails_readyz_at_once_and_backs_off_boundedly(tmp_path: Path) -> None:
    receiver, pipeline = make_receiver(tmp_path, FakeTenant(), max_backoff="3m")
    refused = Auth0Error(
        "token request answered 401: access_denied", status=401, retryable=False, kind="credentials"
    )
    receiver._record_failure(refused)
    status = receiver._services.status
    assert status.setup_problem == "credentials: token request answered 401: access_denied"
    state = ReceiverState("logs_api", None, 900.0, setup_problem=status.setup_problem)

    class Facts:
        def exporters(self) -> list[object]:
            return []

        def receivers(self) -> list[ReceiverState]:
            return [state]

        def queue(self) -> QueueState:
            return QueueState(0, 100)

    reasons = HealthModel(HealthConfig(), Facts()).reasons()  # type: ignore[arg-type]
    assert reasons == [
        "receiver logs_api cannot collect: credentials: token request answered 401: access_denied"
    ]
    waits = [receiver._failure_wait(refused) for _ in range(12)]
    assert waits[0] <= 1.0 < waits[-1]  # grows from a second …
    assert max(waits) <= 180.0  # … to max_backoff, never a fixed 300 s
    receiver._services.succeeded()
    assert status.setup_problem is None
    pipeline.queue.close()


@pytest.mark.parametrize("status", [429, 503])
def test_transient_failures_are_no_setup_problem(tmp_path: Path, status: int) -> None:
    receiver, pipeline = make_receiver(tmp_path, FakeTenant())
    assert isinstance(receiver, LogsApiReceiver)
    receiver._record_failure(Auth0Error("busy", status=status, retryable=True))
    assert receiver._services.status.setup_problem is None
    pipeline.queue.close()
