"""Waiting between attempts: exponential backoff with jitter, and jittered intervals."""

from __future__ import annotations

import random

INTERVAL_JITTER = 0.1


def jittered(seconds: float, spread: float = INTERVAL_JITTER) -> float:
    """``seconds`` ± ``spread`` (a fraction), so many schedules do not fire in step."""
    return seconds * random.uniform(1.0 - spread, 1.0 + spread)


class Backoff:
    """Exponential backoff with full jitter, capped."""

    def __init__(self, initial: float = 0.5, maximum: float = 60.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self.attempt = 0

    def next_delay(self) -> float:
        """The next wait; grows until :meth:`reset`."""
        ceiling = min(self.maximum, self.initial * 2**self.attempt)
        self.attempt += 1
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        """Back to the initial delay after a success."""
        self.attempt = 0
