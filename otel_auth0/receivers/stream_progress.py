"""What the log_stream receiver has delivered, shared with the logs_api gap-filler in hybrid mode."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from otel_auth0.receivers.log_ids import TenantPrefix


@dataclass
class StreamProgress:
    """``highest_log_id`` is the highest log_id durably enqueued from the stream (restored at start);
    ``last_received`` the UNIX time of the last delivery with events; ``newest_event_at`` the newest
    event ``date`` delivered (capped at its receipt time), which shows whether the stream is behind;
    ``prefix`` the tenant's log-id prefix both receivers check positions against (log_ids.py);
    ``first_log_id`` the lowest log id of the first delivery since start: the poller's history (the
    events before the stream) ends there."""

    highest_log_id: str | None = None
    first_log_id: str | None = None
    last_received: float | None = None
    newest_event_at: float | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    prefix: TenantPrefix = field(default_factory=TenantPrefix)


def log_id_order(log_id: str) -> tuple[int, str]:
    """Sort key for Auth0 log ids (fixed-width decimal numbers; the empty cursor sorts first)."""
    return (len(log_id), log_id)
