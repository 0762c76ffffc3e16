"""Auth0 log ids as positions: their embedded time and which ids may move a cursor.

Auth0 log ids are fixed-width decimal numbers: a 3-digit prefix that is the same on every id of one
tenant (``900`` on US tenants, other values elsewhere), the UTC second the event was logged
(``YYYYMMDDhhmmss``) and 39 opaque digits (56 digits in all). A cursor compares them as numbers, so
one forged or corrupted id (another prefix such as ``999``, 56 nines, a time in the future) would put a
cursor past every real event for good. An id may move a cursor (the poller's checkpoint, the stream's
highest log id, the gap-filler's start) only when it has exactly that layout, carries the tenant's own
prefix (:class:`TenantPrefix`, learned from ids the tenant served) and its time is a real moment no
later than now plus :data:`CLOCK_SKEW`. Any other id is still delivered; it just never becomes a
position.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

LOG_ID_LENGTH = 56
PREFIX_LENGTH = 3
# How far in the future a log id's time may be (clock differences between Auth0 and this host).
CLOCK_SKEW = 300.0
# Checkpoint holding the tenant's prefix and where it was learned (``900 api`` / ``900 stream``).
PREFIX_CHECKPOINT = "log_ids.prefix"


def log_id_time(log_id: str) -> datetime | None:
    """The UTC second embedded in an Auth0 log id (when it was logged), or ``None`` for another shape."""
    if len(log_id) < 17 or not log_id.isdigit():
        return None
    try:
        return datetime.strptime(log_id[3:17], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def is_cursor_log_id(log_id: str, now: float | None = None, prefix: str | None = None) -> bool:
    """Whether ``log_id`` may move a cursor: 56 ASCII digits starting with ``prefix`` (when known),
    holding a real time not beyond now + :data:`CLOCK_SKEW`."""
    if len(log_id) != LOG_ID_LENGTH or not log_id.isascii() or not log_id.isdigit():
        return False
    if prefix is not None and not log_id.startswith(prefix):
        return False
    logged = log_id_time(log_id)
    current = time.time() if now is None else now
    return logged is not None and logged.timestamp() <= current + CLOCK_SKEW


def common_prefix(log_ids: Iterable[str], now: float | None = None) -> str | None:
    """The prefix most of the well-formed ids (not ahead of the clock) carry, or ``None`` without any."""
    counts = Counter(log_id[:PREFIX_LENGTH] for log_id in log_ids if is_cursor_log_id(log_id, now))
    if not counts:
        return None
    (prefix, _), *_ = counts.most_common(1)
    return prefix


@dataclass
class TenantPrefix:
    """The tenant's log-id prefix, shared by the receivers of one process. The Management API (the
    poller) is the authority: what it serves replaces a prefix learned from the Log Stream; the stream
    only sets one while none is known (stream-only mode)."""

    value: str | None = None
    from_api: bool = False

    @classmethod
    def parse(cls, stored: str | None) -> TenantPrefix:
        """From the checkpoint value (``"900 api"``); empty when absent or malformed."""
        prefix, _, source = (stored or "").partition(" ")
        if len(prefix) != PREFIX_LENGTH or not prefix.isascii() or not prefix.isdigit():
            return cls()
        return cls(prefix, source == "api")

    def stored(self) -> str:
        """The checkpoint value."""
        return f"{self.value} {'api' if self.from_api else 'stream'}"

    def learn(self, log_ids: Iterable[str], from_api: bool, now: float | None = None) -> bool:
        """Take the prefix most of ``log_ids`` carry when none is known yet (or, from the Management API,
        when only the stream's was known); True when it changed (to be persisted)."""
        if self.value is not None and (self.from_api or not from_api):
            return False
        prefix = common_prefix(log_ids, now)
        if prefix is None:
            return False
        changed = (prefix, from_api) != (self.value, self.from_api)
        self.value, self.from_api = prefix, from_api
        return changed
