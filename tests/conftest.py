"""Shared pytest fixtures and the property-test profile."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.otlp_receiver import OtlpReceiver
from tests.support.postgres_server import PostgresServer, running_server
from tests.support.postgres_server import unavailable as postgres_unavailable

# Property tests never fail on a slow machine (no per-example deadline, no "too slow" health check), and in
# CI (CI=true) they draw the same examples every run, so a landing never depends on a random draw; local runs
# keep exploring new examples.
settings.register_profile(
    "otel-auth0",
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("CI", "").lower() == "true",
)
settings.load_profile("otel-auth0")


@pytest.fixture
def otlp_receiver() -> Iterator[OtlpReceiver]:
    """A running test OTLP receiver (gRPC + HTTP on free 127.0.0.1 ports)."""
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for this test session (skipped with the reason when none can run here,
    never under CI=true)."""
    reason = postgres_unavailable()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and no PostgreSQL server: {reason}")
        pytest.skip(reason)
    with running_server() as server:
        yield server


@pytest.fixture
def postgres_dsn(postgres_server: PostgresServer) -> str:
    """The DSN of a fresh, empty database on the session's PostgreSQL server."""
    return postgres_server.new_database()
