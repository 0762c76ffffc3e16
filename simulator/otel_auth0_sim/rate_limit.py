"""Token-bucket rate limiting with Auth0's ``x-ratelimit-*`` header values."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimitDecision:
    """Outcome of one request against the bucket, with the header values to send."""

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        """The ``x-ratelimit-limit``, ``-remaining`` and ``-reset`` (UNIX seconds) headers."""
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset),
        }


class TokenBucket:
    """A bucket of ``capacity`` tokens refilled at ``rate`` tokens per second (burst = capacity)."""

    def __init__(self, capacity: int, rate: float, clock: Callable[[], float] = time.time) -> None:
        if capacity < 1 or rate <= 0:
            raise ValueError("rate limit needs capacity >= 1 and a positive refill rate")
        self.capacity = capacity
        self.rate = rate
        self._clock = clock
        self._tokens = float(capacity)
        self._updated = clock()

    def _refill(self, now: float) -> None:
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def take(self) -> RateLimitDecision:
        """Spend one token if there is one; the decision says whether the request may proceed."""
        now = self._clock()
        self._refill(now)
        allowed = self._tokens >= 1
        if allowed:
            self._tokens -= 1
        return RateLimitDecision(allowed, self.capacity, int(self._tokens), self._next_token_at(now))

    def _next_token_at(self, now: float) -> int:
        """UNIX second by which at least one more whole token will be in the bucket."""
        if self._tokens >= self.capacity:
            return math.ceil(now)
        missing = 1 - (self._tokens - math.floor(self._tokens))
        return math.ceil(now + missing / self.rate)
