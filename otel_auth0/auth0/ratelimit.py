"""Auth0's ``x-ratelimit-*`` headers and ``Retry-After``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class RateLimit:
    """One response's rate-limit state; ``reset`` is UNIX seconds."""

    limit: int | None
    remaining: int | None
    reset: int | None

    @classmethod
    def from_headers(cls, headers: httpx.Headers) -> RateLimit:
        """Parse the three headers (missing or malformed values are ``None``)."""
        return cls(
            _int(headers.get("x-ratelimit-limit")),
            _int(headers.get("x-ratelimit-remaining")),
            _int(headers.get("x-ratelimit-reset")),
        )

    def seconds_until_reset(self, now: float | None = None) -> float | None:
        """Seconds until the bucket refills (``None`` when unknown)."""
        if self.reset is None:
            return None
        return max(0.0, self.reset - (time.time() if now is None else now))

    def exhausted(self) -> bool:
        """No request left in this window."""
        return self.remaining is not None and self.remaining <= 0


def retry_after_seconds(headers: httpx.Headers, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or HTTP date), else ``x-ratelimit-reset``, else ``None``."""
    now = time.time() if now is None else now
    value = headers.get("retry-after")
    if value:
        if value.strip().isdigit():
            return float(value.strip())
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError):
            pass
    return RateLimit.from_headers(headers).seconds_until_reset(now)
