"""Every tenant log event of a time window, read through Auth0's SDK in search mode, beyond the
1,000-result cap of one log search.

Auth0 pages through at most 1,000 results of one query (``page * per_page`` beyond that is a 400). The
window is therefore walked oldest first: ``q=date:[low TO until]``, ``sort=date:1``, 100 per page; when
a query fills all 1,000 results, the next query starts at the date of the last event read (events of
that same millisecond come again and are dropped by ``log_id``). A failure, a spent rate-limit budget
or the deadline stops the walk; the result then says which part of the window was not read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from otel_auth0.auth0.management import Auth0Error
from otel_auth0.auth0.sdk import PAGE_SIZE, SdkSession, call, dicts

SEARCH_CAP = 1000


def lucene_instant(when: datetime) -> str:
    """``2026-01-31T12:00:00.000Z``: a ``date`` bound of Auth0's log search."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def event_date(event: dict[str, Any]) -> datetime | None:
    """The event's ``date`` as an aware datetime."""
    try:
        return datetime.fromisoformat(str(event.get("date", "")).replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass
class WindowRead:
    """The events read from ``since`` to ``until``; ``stopped`` says why the walk ended early."""

    since: datetime
    until: datetime
    events: list[dict[str, Any]] = field(default_factory=list)
    read_until: datetime | None = None
    stopped: str | None = None
    requests: int = 0

    @property
    def complete(self) -> bool:
        """Every event of the window was read."""
        return self.stopped is None

    def unread(self) -> tuple[datetime, datetime] | None:
        """``(from, to)`` of the part of the window not read, or ``None`` when complete."""
        if self.complete:
            return None
        return (self.read_until or self.since, self.until)


def _page(session: SdkSession, query: str, page: int) -> list[dict[str, Any]]:
    # ``q`` as Auth0 documents it (the SDK's own ``search`` parameter is the legacy v2 search).
    pager = session.api.logs.list(
        page=page,
        per_page=PAGE_SIZE,
        sort="date:1",
        include_totals=True,
        request_options={"additional_query_parameters": {"q": query}},
    )
    return dicts(pager.items)


def read_window(
    session: SdkSession, since: datetime, until: datetime, deadline: float | None = None
) -> WindowRead:
    """Every event dated from ``since`` to ``until`` (inclusive), oldest first, unless stopped early."""
    result = WindowRead(since, until)
    seen: set[str] = set()
    low = since
    while True:
        query = f"date:[{lucene_instant(low)} TO {lucene_instant(until)}]"
        rows: list[dict[str, Any]] = []
        for page in range(SEARCH_CAP // PAGE_SIZE):
            if deadline is not None and time.monotonic() > deadline:
                result.stopped = "the scan's time limit was reached"
                return result
            try:
                items = call(partial(_page, session, query, page))
            except Auth0Error as error:
                result.stopped = str(error)
                return result
            result.requests += 1
            for event in items:
                log_id = str(event.get("log_id") or event.get("_id") or "")
                if log_id not in seen:
                    seen.add(log_id)
                    result.events.append(event)
            rows.extend(items)
            last = event_date(items[-1]) if items else None
            if last is not None:
                result.read_until = last
            if len(items) < PAGE_SIZE:
                result.read_until = until
                return result
        last = event_date(rows[-1])
        if last is None or last <= low:
            result.stopped = f"more than {SEARCH_CAP} events dated {lucene_instant(low)}"
            return result
        low = last
