"""Supervision: a receiver that raises is restarted with backoff and counted while the others keep
working; the runtime builds receivers from the registry, so a test registers its own factories."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from otel_auth0.backoff import Backoff
from otel_auth0.collector_config import parse_config
from otel_auth0.instruments import Instruments
from otel_auth0.receivers.base import Receiver, ReceiverFactory, Services
from otel_auth0.receivers.notices import NoticesConfig
from otel_auth0.receivers.registry import RECEIVERS
from otel_auth0.receivers.status import StatusConfig
from otel_auth0.receivers.supervision import ReceiverStatus, supervise
from otel_auth0.runtime import Collector
from otel_auth0.scheduler import sleep_or_stop


class KeepsWorking:
    """Counts its polls until stopped, recording each success."""

    name = "notices"
    fails_first_poll = False

    def __init__(self, config: NoticesConfig | StatusConfig, services: Services) -> None:
        self.services = services
        self.polls = 0
        self.closed = False

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.polls += 1
            if self.fails_first_poll and self.polls == 1:
                raise RuntimeError("first poll fails")
            self.services.succeeded()
            await sleep_or_stop(stop, 0.01)

    async def shutdown(self) -> None:
        self.closed = True


class FailsOnFirstPoll(KeepsWorking):
    """Raises on its first poll, then polls happily."""

    name = "status"
    fails_first_poll = True


def metric_points(reader: InMemoryMetricReader, name: str) -> dict[str, int]:
    """Sum of a counter by ``otel_auth0.receiver``."""
    data = reader.get_metrics_data()
    totals: dict[str, int] = {}
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    for point in metric.data.data_points:
                        key = str(point.attributes.get("otel_auth0.receiver"))
                        totals[key] = totals.get(key, 0) + int(point.value)
    return totals


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


def test_a_receiver_that_raises_on_its_first_poll_is_restarted_and_counted(tmp_path: Path) -> None:
    config = parse_config(
        {
            "auth0": {"domain": "tenant.us.auth0.com"},
            "state_dir": str(tmp_path / "state"),
            "receivers": {"status": {}, "notices": {}},
            "exporters": {"file": {"path": str(tmp_path / "out.jsonl")}},
            "telemetry": {"listen": None},
        }
    )
    created: dict[str, Any] = {}

    def keep(make: Callable[[Any, Services], Receiver]) -> Callable[[Any, Services], Receiver]:
        def create(settings: Any, services: Services) -> Receiver:
            created[services.name] = receiver = make(settings, services)
            return receiver

        return create

    registry = {
        **RECEIVERS,
        "status": ReceiverFactory("status", StatusConfig, keep(FailsOnFirstPoll)),
        "notices": ReceiverFactory("notices", NoticesConfig, keep(KeepsWorking)),
    }
    collector = Collector(config, registry)
    statuses = collector.receiver_statuses()
    assert set(statuses) == {"status", "notices"}

    async def scenario() -> bool:
        stop = asyncio.Event()
        running = asyncio.create_task(collector.run(stop))
        failing, working = created["status"], created["notices"]
        await until(lambda: statuses["status"].restarting)
        assert any(
            reason.startswith("receiver status failed (RuntimeError: first poll fails)")
            for reason in collector.health.reasons()
        )
        await until(lambda: failing.polls >= 3)
        assert not any("receiver status failed" in reason for reason in collector.health.reasons())
        polls_after_restart = working.polls
        await until(lambda: working.polls > polls_after_restart)
        stop.set()
        return await running

    assert asyncio.run(scenario())
    failing, working = created["status"], created["notices"]
    assert statuses["status"].restarts == 1
    assert statuses["status"].last_error == "RuntimeError: first poll fails"
    assert statuses["status"].last_success is not None
    assert statuses["notices"].restarts == 0 and statuses["notices"].last_error is None
    assert not statuses["status"].running and not statuses["notices"].running
    assert failing.closed and working.closed


def test_restarts_and_internal_errors_are_counted_with_the_receiver_name() -> None:
    reader = InMemoryMetricReader()
    instruments = Instruments(MeterProvider(metric_readers=[reader]).get_meter("test"))
    status = ReceiverStatus()
    calls = 0

    async def run(stop: asyncio.Event) -> None:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise ValueError(f"failure {calls}")
        stop.set()

    async def scenario() -> None:
        await supervise("probe_x", run, asyncio.Event(), status, instruments, Backoff(0.01, 0.02))

    asyncio.run(scenario())
    assert calls == 3 and status.restarts == 2 and status.last_error == "ValueError: failure 2"
    assert metric_points(reader, "otel_auth0.receiver.restarts") == {"probe_x": 2}
    assert metric_points(reader, "otel_auth0.receiver.errors") == {"probe_x": 2}


def test_a_receiver_ending_before_stop_is_restarted_and_stop_ends_supervision() -> None:
    instruments = Instruments(MeterProvider().get_meter("test"))
    status = ReceiverStatus()
    calls = 0

    async def run(stop: asyncio.Event) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            await stop.wait()

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(supervise("x", run, stop, status, instruments, Backoff(0.01, 0.02)))
        await until(lambda: calls == 2)
        stop.set()
        await task

    asyncio.run(scenario())
    assert calls == 2 and status.restarts == 1 and status.last_error == "ended before stop"
