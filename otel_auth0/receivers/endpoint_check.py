"""``receivers.endpoint_check``: Auth0's monitoring endpoints every ``interval``.

``/testall`` is up when it answers 200 with the body ``OK``; ``/test`` when it answers 200 with a
JSON ``clock``; any other path when it answers 2xx. Each request becomes a span
``auth0.endpoint_check`` (per-phase timings as attributes) and the ``auth0.endpoint.up`` gauge and
``auth0.endpoint.duration`` histogram, both by ``url.path``.
"""

from __future__ import annotations

import time
from typing import ClassVar

import httpx
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from pydantic import Field, field_validator

from otel_auth0.auth0.http import async_client
from otel_auth0.auth0.probe import PROBE_USER_AGENT
from otel_auth0.auth0.probe_errors import classify_exception
from otel_auth0.auth0.timings import PhaseRecorder
from otel_auth0.backoff import Backoff
from otel_auth0.config.auth0 import Auth0Config
from otel_auth0.config.base import Duration
from otel_auth0.config.receivers import PeriodicSettings
from otel_auth0.convert.mapping import Converted
from otel_auth0.convert.wire import AttributeValue
from otel_auth0.receivers.base import ReceiverFactory, Services
from otel_auth0.receivers.periodic import PeriodicReceiver
from otel_auth0.receivers.records import new_span_id, new_trace_id, span, submit
from otel_auth0.scheduler import Schedule

SCOPE = "otel_auth0.endpoint_check"


class EndpointCheckConfig(PeriodicSettings):
    """Auth0's monitoring endpoints ``/testall`` and ``/test``."""

    needs_tenant: ClassVar[bool] = True
    measures_tenant: ClassVar[bool] = True

    interval: Duration = 60.0
    paths: list[str] = Field(default_factory=lambda: ["/testall", "/test"], min_length=1)

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        if not all(path.startswith("/") for path in value):
            raise ValueError("every path must start with /")
        return value


def judge(path: str, response: httpx.Response) -> str | None:
    """``None`` when the endpoint is up, else an ``error.type``."""
    if response.status_code >= 500:
        return "http_5xx"
    if response.status_code != 200:
        return f"http_{response.status_code}"
    if path == "/testall" and response.text.strip() != "OK":
        return "unexpected_body"
    if path == "/test":
        try:
            body = response.json()
        except ValueError:
            return "unexpected_body"
        if not isinstance(body, dict) or "clock" not in body:
            return "unexpected_body"
    return None


class EndpointCheckReceiver(PeriodicReceiver):
    """Checks the configured paths every interval (a down endpoint is a result, not a failure)."""

    name = "endpoint_check"

    def __init__(self, config: EndpointCheckConfig, services: Services) -> None:
        super().__init__(Schedule(self.name, config.interval, Backoff(initial=5.0, maximum=config.interval)))
        self._services = services
        self._auth0: Auth0Config = services.require_auth0()
        self._paths = config.paths

    async def tick(self) -> None:
        """One round over every path; a success when every one is up."""
        every_up = True
        items: list[Converted] = []
        async with async_client(self._auth0.ca_file, self._auth0.timeout, PROBE_USER_AGENT) as client:
            for path in self._paths:
                up, converted = await self._check(client, path)
                every_up = every_up and up
                items.append(converted)
        await submit(self._services, items, SCOPE)
        if every_up:
            self._services.succeeded()

    async def _check(self, client: httpx.AsyncClient, path: str) -> tuple[bool, Converted]:
        url = f"{self._auth0.base_url}{path}"
        recorder = PhaseRecorder()
        attributes: dict[str, AttributeValue] = {
            "url.full": url,
            "url.path": path,
            "http.request.method": "GET",
            "user_agent.synthetic.type": "test",
        }
        start = time.time_ns()
        try:
            response = await client.get(url, extensions={"trace": recorder})
            error = judge(path, response)
            attributes["http.response.status_code"] = response.status_code
        except httpx.HTTPError as exc:
            error = classify_exception(exc)
        end = time.time_ns()
        for phase, seconds in recorder.phases.items():
            attributes[f"auth0.probe.phase.{phase}"] = seconds
        if error:
            attributes["error.type"] = error
        instruments = self._services.instruments
        metric_attributes = {"url.path": path}
        instruments.endpoint_up.set(0 if error else 1, metric_attributes)
        instruments.endpoint_duration.record((end - start) / 1e9, metric_attributes)
        instruments.receiver_requests.add(1, self._services.source)
        framed = span(
            new_trace_id(),
            new_span_id(),
            "auth0.endpoint_check",
            start,
            end,
            attributes,
            kind=Span.SpanKind.SPAN_KIND_CLIENT,
            error=error,
        )
        return error is None, Converted(key=None, logs=b"", spans=framed, span_count=1)


FACTORY = ReceiverFactory("endpoint_check", EndpointCheckConfig, EndpointCheckReceiver)
