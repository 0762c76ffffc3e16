"""``/readyz`` watches the collecting receivers for staleness, not the probes, whose success is the
tenant's health (their sections declare ``measures_tenant``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

from otel_auth0.collector_config import parse_config
from otel_auth0.receivers.supervision import ReceiverStatus
from otel_auth0.runtime_health import CollectorHealth

if TYPE_CHECKING:
    from otel_auth0.runtime import Collector


def test_probes_are_not_checked_for_staleness_and_polling_receivers_are() -> None:
    config = parse_config(
        {
            "auth0": {"domain": "t.us.auth0.com", "client_id": "a", "client_secret": "b"},
            "receivers": {
                "logs_api": {"interval": "10s"},
                "status": {"interval": "5m"},
                "login_probe": {"username": "u", "password": "p", "client_id": "c"},
                "endpoint_check": {},
                "log_stream": {"token": "t"},
            },
        }
    )
    statuses = {name: ReceiverStatus() for name in config.receivers}
    collector = SimpleNamespace(
        config=config, receiver_statuses=lambda: statuses, holds_lease=lambda _name: True
    )
    states = {state.name: state for state in CollectorHealth(cast("Collector", collector)).receivers()}
    stale_after = {name: state.stale_after for name, state in states.items()}
    health = config.telemetry.health
    assert stale_after == {
        "logs_api": max(health.receiver_stale_after, 30.0),
        "status": max(health.receiver_stale_after, 900.0),
        "login_probe": None,
        "endpoint_check": None,
        "log_stream": None,
    }
