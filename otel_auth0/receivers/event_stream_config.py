"""``receivers.event_stream``: the section of the Auth0 Event Streams webhook listener
(:mod:`otel_auth0.receivers.event_stream`). The listener keys are the Log Stream listener's."""

from __future__ import annotations

from pydantic import Field, field_validator

from otel_auth0.config.auth0 import Auth0Config
from otel_auth0.config.base import Duration, _Section
from otel_auth0.receivers.log_stream_config import LogStreamConfig


class EventStreamGapFillConfig(_Section):
    """Redelivery of failed deliveries from the stream's delivery history."""

    stream_id: str = Field(min_length=1)
    interval: Duration = 60.0
    lookback: Duration = 86400.0
    settle: Duration = 3600.0
    max_per_run: int = Field(default=100, ge=1, le=1000)

    @field_validator("stream_id")
    @classmethod
    def _stream_id(cls, value: str) -> str:
        if not value.startswith("est_"):
            raise ValueError("must be the event stream's id, est_...")
        return value


class EventStreamConfig(LogStreamConfig):
    """Auth0 Event Streams (CloudEvents) webhook receiver."""

    listen: str = "127.0.0.1:8384"
    path: str = "/auth0/events"
    gap_fill: EventStreamGapFillConfig | None = None

    def tenant_problem(self, name: str, auth0: Auth0Config | None) -> str | None:
        """Gap filling reads the stream's delivery history: the tenant and a machine-to-machine app."""
        if self.gap_fill is None:
            return None
        if auth0 is None:
            return f"auth0: required when receivers.{name}.gap_fill is on"
        for key in ("client_id", "client_secret"):
            if not getattr(auth0, key):
                return (
                    f"auth0.{key}: required by receivers.{name}.gap_fill (a machine-to-machine app with "
                    "read:event_streams and update:event_streams)"
                )
        return None
