"""Auth0-style log ids: 56 digits, ``"900"`` + ``YYYYMMDDhhmmss`` + 39 opaque digits, strictly increasing."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

PREFIX = "900"
LOG_ID_LENGTH = 56
_TIME_FORMAT = "%Y%m%d%H%M%S"
_SEQUENCE_DIGITS = 20
_RANDOM_DIGITS = 39 - _SEQUENCE_DIGITS
LOG_ID_PATTERN = re.compile(r"^\d{56}$")


class LogIdGenerator:
    """Issues log ids whose embedded time follows the clock and which never decrease.

    The 39 opaque digits are a global sequence number followed by random digits, so two ids
    minted in the same second (or after the clock stepped back) still sort in issue order.
    """

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self._sequence = 0
        self._last_time = ""

    def next_id(self, when: datetime | None = None) -> str:
        """Return the next log id for an event ingested at ``when`` (default: now)."""
        stamp = (when or datetime.now(UTC)).astimezone(UTC).strftime(_TIME_FORMAT)
        self._last_time = max(stamp, self._last_time)
        self._sequence += 1
        noise = self._rng.randrange(10**_RANDOM_DIGITS)
        return f"{PREFIX}{self._last_time}{self._sequence:0{_SEQUENCE_DIGITS}d}{noise:0{_RANDOM_DIGITS}d}"


def log_id_time(log_id: str) -> datetime:
    """Return the ingestion time embedded in ``log_id`` (UTC, second precision)."""
    if not is_log_id(log_id):
        raise ValueError(f"not a 56-digit Auth0 log id: {log_id!r}")
    return datetime.strptime(log_id[3:17], _TIME_FORMAT).replace(tzinfo=UTC)


def is_log_id(value: str) -> bool:
    """Whether ``value`` has the 56-digit log id layout."""
    return bool(LOG_ID_PATTERN.match(value))
