"""Auth0 log ids as positions: their embedded time and which ids may move a cursor.

Auth0 log ids are fixed-width decimal numbers: a 3-digit prefix, the UTC second the event was logged
(``YYYYMMDDhhmmss``) and opaque digits (56 digits in all). A cursor compares them as numbers, so one
forged or corrupted id (56 nines) would put a cursor past every real event for good; only ids of the
usual width whose time is a real moment no later than now plus a clock-skew margin may move one.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

LOG_ID_LENGTH = 56
# How far in the future a log id's time may be (clock differences between Auth0 and this host).
CLOCK_SKEW = 3600.0


def log_id_time(log_id: str) -> datetime | None:
    """The UTC second embedded in an Auth0 log id (when it was logged), or ``None`` for another shape."""
    if len(log_id) < 17 or not log_id.isdigit():
        return None
    try:
        return datetime.strptime(log_id[3:17], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def is_cursor_log_id(log_id: str, now: float | None = None) -> bool:
    """Whether ``log_id`` may move a cursor: 56 digits holding a real time not beyond now + skew."""
    if len(log_id) != LOG_ID_LENGTH:
        return False
    logged = log_id_time(log_id)
    current = time.time() if now is None else now
    return logged is not None and logged.timestamp() <= current + CLOCK_SKEW
