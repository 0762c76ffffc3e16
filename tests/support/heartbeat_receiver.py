"""A receiver that exists only in tests, to show what adding one takes: this one module (its section
type, the receiver, ``FACTORY``) and one registry entry, ``{**RECEIVERS, "heartbeat": FACTORY}``.

``receivers.heartbeat`` emits one ``test.heartbeat`` log record (body ``message``) every ``interval``."""

from __future__ import annotations

import time

from opentelemetry.proto.logs.v1.logs_pb2 import SeverityNumber
from pydantic import Field

from otel_auth0.backoff import Backoff
from otel_auth0.config.base import Duration
from otel_auth0.config.receivers import PeriodicSettings
from otel_auth0.convert.mapping import Converted
from otel_auth0.receivers.base import ReceiverFactory, Services
from otel_auth0.receivers.periodic import PeriodicReceiver
from otel_auth0.receivers.records import log_record, submit
from otel_auth0.scheduler import Schedule

SCOPE = "tests.heartbeat"
EVENT_NAME = "test.heartbeat"


class HeartbeatConfig(PeriodicSettings):
    """``receivers.heartbeat``: one log record every ``interval``."""

    interval: Duration = 1.0
    message: str = Field(default="alive", min_length=1)


class HeartbeatReceiver(PeriodicReceiver):
    """Beats every interval on the shared scheduler."""

    name = "heartbeat"

    def __init__(self, config: HeartbeatConfig, services: Services) -> None:
        super().__init__(
            Schedule(
                self.name,
                config.interval,
                Backoff(initial=1.0, maximum=max(1.0, config.interval)),
                on_success=services.succeeded,
            )
        )
        self._message = config.message
        self._services = services

    async def tick(self) -> None:
        """One beat."""
        record = log_record(EVENT_NAME, SeverityNumber.SEVERITY_NUMBER_INFO, self._message, {})
        await submit(self._services, [Converted(key=f"heartbeat:{time.time_ns()}", logs=record)], SCOPE)


FACTORY = ReceiverFactory("heartbeat", HeartbeatConfig, HeartbeatReceiver)
