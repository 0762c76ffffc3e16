"""Assembles the simulator's Starlette application from the route lists of its modules."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from otel_auth0.simulator.control import ControlError, control_error_handler, control_routes
from otel_auth0.simulator.management_api import logs_routes
from otel_auth0.simulator.middleware import FaultsAndCounters
from otel_auth0.simulator.oauth import token_routes
from otel_auth0.simulator.state import TenantState
from otel_auth0.simulator.traffic import TrafficGenerator


def create_app(state: TenantState, generator: TrafficGenerator | None = None) -> Starlette:
    """The tenant's HTTP application; ``generator`` serves ``POST /_sim/events {"generate": N}``."""
    generator = generator or TrafficGenerator(state.tenant_name, state.environment_name, state.hostname)
    routes = [*token_routes(state), *logs_routes(state), *control_routes(state, generator)]
    return Starlette(
        routes=routes,
        middleware=[Middleware(FaultsAndCounters, state=state)],
        exception_handlers={ControlError: control_error_handler},
    )
