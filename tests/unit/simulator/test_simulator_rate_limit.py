"""The simulator's token bucket and its x-ratelimit-* values."""

from __future__ import annotations

import pytest

from otel_auth0_sim.rate_limit import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.25

    def __call__(self) -> float:
        return self.now


def test_burst_then_429_until_refill() -> None:
    clock = FakeClock()
    bucket = TokenBucket(3, 3, clock)
    decisions = [bucket.take() for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    refused = decisions[-1]
    assert refused.reset == 1001  # one token is back a third of a second later, rounded up
    assert refused.headers() == {
        "x-ratelimit-limit": "3",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "1001",
    }
    clock.now += 1 / 3
    assert bucket.take().allowed


def test_reset_is_the_next_whole_token_and_refill_is_capped() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2, 1, clock)
    clock.now += 100
    first = bucket.take()
    assert first.remaining == 1
    assert first.reset == 1102  # the spent token is back at 1101.25, rounded up to whole seconds
    assert [bucket.take().allowed for _ in range(2)] == [True, False]


def test_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0, 1)
