"""The shared scheduler of periodic receivers: interval, requested waits, backoff, stop; a
:class:`PeriodicReceiver` runs its ``tick`` on it."""

from __future__ import annotations

import asyncio

import pytest

from otel_auth0.backoff import Backoff, jittered
from otel_auth0.receivers.periodic import PeriodicReceiver
from otel_auth0.scheduler import Schedule, error_type, sleep_or_stop


class Flaky(Exception):
    error_type = "flaky"


def test_expected_failures_back_off_and_success_resets() -> None:
    outcomes: list[str] = []
    failures: list[Exception] = []
    backoff = Backoff(initial=0.01, maximum=0.02)

    async def tick() -> float | None:
        outcomes.append("tick")
        if len(outcomes) <= 2:
            raise Flaky("down")
        return 0.0

    async def scenario() -> None:
        stop = asyncio.Event()

        def succeeded() -> None:
            if len(outcomes) >= 4:
                stop.set()

        schedule = Schedule(
            "x", 60.0, backoff, expected=(Flaky,), on_failure=failures.append, on_success=succeeded
        )
        await asyncio.wait_for(schedule.run(tick, stop), timeout=30)

    asyncio.run(scenario())
    assert len(outcomes) == 4  # the requested wait of 0 s replaced the 60 s interval
    assert [str(error) for error in failures] == ["down", "down"]
    assert backoff.attempt == 0


def test_an_unexpected_error_propagates_to_the_supervisor() -> None:
    async def tick() -> float | None:
        raise KeyError("bug")

    schedule = Schedule("x", 1.0, Backoff(), expected=(Flaky,))
    with pytest.raises(KeyError):
        asyncio.run(schedule.run(tick, asyncio.Event()))


def test_stop_interrupts_the_wait() -> None:
    """An hour's interval ends as soon as stop is set (wait_for fails the test otherwise)."""

    async def scenario() -> None:
        stop = asyncio.Event()
        ticks = 0

        async def tick() -> float | None:
            nonlocal ticks
            ticks += 1
            asyncio.get_running_loop().call_soon(stop.set)
            return None

        await asyncio.wait_for(Schedule("x", 3600.0, Backoff()).run(tick, stop), timeout=60)
        assert ticks == 1

    asyncio.run(scenario())


def test_helpers() -> None:
    assert all(0.9 <= jittered(1.0) <= 1.1 for _ in range(100))
    assert error_type(Flaky("x")) == "flaky" and error_type(OSError("x")) == "OSError"

    async def stopped() -> bool:
        stop = asyncio.Event()
        stop.set()
        return await sleep_or_stop(stop, 3600)

    assert asyncio.run(stopped())


class Counting(PeriodicReceiver):
    """Asks for no wait after each tick; the third one sets stop, the first fails as expected."""

    name = "counting"

    def __init__(self, stop: asyncio.Event) -> None:
        self.failures: list[Exception] = []
        super().__init__(Schedule(self.name, 3600.0, Backoff(initial=0.01), (Flaky,), self.failures.append))
        self.stop, self.ticks = stop, 0

    async def tick(self) -> float | None:
        self.ticks += 1
        if self.ticks == 1:
            raise Flaky("first")
        if self.ticks == 3:
            self.stop.set()
        return 0.0


def test_a_periodic_receiver_runs_its_ticks_on_its_schedule_until_stop() -> None:
    async def scenario() -> Counting:
        receiver = Counting(asyncio.Event())
        await asyncio.wait_for(receiver.run(receiver.stop), timeout=60)
        await receiver.shutdown()
        return receiver

    receiver = asyncio.run(scenario())
    print(f"ticks: {receiver.ticks}, expected failures: {len(receiver.failures)}")
    assert receiver.ticks == 3 and [str(error) for error in receiver.failures] == ["first"]
