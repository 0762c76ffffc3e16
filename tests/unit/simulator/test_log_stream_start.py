"""The simulator's Log Stream carries only events stored after start-up by default, as a real Log
Stream carries only what is logged after its creation (issue 20.1); ``oldest`` pushes the history too."""

from __future__ import annotations

import random

import pytest

from otel_auth0_sim.history import backfill
from otel_auth0_sim.log_stream_push import StreamTarget, starting_cursor
from otel_auth0_sim.state import TenantState
from otel_auth0_sim.traffic import TrafficGenerator


def test_the_large_history_is_not_pushed_by_default() -> None:
    state = TenantState("tenant.test", profile="large", seed=3)
    generator = TrafficGenerator(state.tenant_name, state.environment_name, state.hostname, 3)
    backfill(state, generator, count=50)
    target = StreamTarget("http://127.0.0.1:9/auth0/logs", "t")
    assert target.start == "new"
    cursor = starting_cursor(state, target)
    assert state.events_after(cursor, 1000) == []
    fresh = state.add_event({"type": "s", "description": f"fresh {random.random()}"})
    assert state.events_after(cursor, 1000) == [fresh]
    everything = starting_cursor(state, StreamTarget("http://127.0.0.1:9/auth0/logs", "t", start="oldest"))
    assert len(state.events_after(everything, 1000)) == len(state.events)


def test_an_unknown_start_is_refused() -> None:
    with pytest.raises(ValueError, match="log stream start must be one of new, oldest"):
        StreamTarget("http://127.0.0.1:9/auth0/logs", "t", start="middle")
