"""Assembles the simulator's Starlette application from the route lists of its modules."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from otel_auth0_sim.auth_api import auth_routes, password_grants
from otel_auth0_sim.auth_state import AuthState
from otel_auth0_sim.control import ControlError, control_error_handler, control_routes
from otel_auth0_sim.event_streams import EventStreamsState, event_stream_routes
from otel_auth0_sim.feeds import FeedsState, feed_routes
from otel_auth0_sim.management_api import logs_routes, unknown_route
from otel_auth0_sim.management_extra import extra_routes
from otel_auth0_sim.middleware import CONTROLS_OFF, ControlAccess, ControlGate, FaultsAndCounters
from otel_auth0_sim.oauth import DEFAULT_GRANTS, token_routes
from otel_auth0_sim.otlp_sink import otlp_sink_routes
from otel_auth0_sim.scenarios import scenario_routes
from otel_auth0_sim.state import TenantState
from otel_auth0_sim.traffic import TrafficGenerator


def create_app(
    state: TenantState,
    generator: TrafficGenerator | None = None,
    controls: ControlAccess = CONTROLS_OFF,
    event_streams: EventStreamsState | None = None,
) -> Starlette:
    """The tenant's HTTP application; ``generator`` serves ``POST /_sim/events {"generate": N}``;
    ``controls`` says who may use the ``/_sim/`` endpoints (nobody by default)."""
    generator = generator or TrafficGenerator(state.tenant_name, state.environment_name, state.hostname)
    auth = AuthState()
    routes = [
        *token_routes(state, {**DEFAULT_GRANTS, **password_grants(auth)}),
        *logs_routes(state),
        *control_routes(state, generator),
        *scenario_routes(state, generator),
        *auth_routes(state, auth),
        *feed_routes(state, FeedsState.for_tenant(state)),
        *event_stream_routes(state, event_streams or EventStreamsState(state)),
        *extra_routes(state),
        *otlp_sink_routes(state),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(ControlGate, access=controls), Middleware(FaultsAndCounters, state=state)],
        exception_handlers={
            ControlError: control_error_handler,
            404: unknown_route(state),
            405: unknown_route(state),
        },
    )
