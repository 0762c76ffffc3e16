"""Fixtures of the in-process simulator tests: a seeded tenant, its traffic generator, the asyncio backend."""

from __future__ import annotations

import pytest

from otel_auth0_sim.state import TenantState
from otel_auth0_sim.traffic import TrafficGenerator
from tests.support.sim_app import DOMAIN


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def state() -> TenantState:
    return TenantState(DOMAIN, mgmt_rate_limit=1000, seed=1)


@pytest.fixture
def generator(state: TenantState) -> TrafficGenerator:
    return TrafficGenerator(state.tenant_name, state.environment_name, state.hostname, seed=1)
