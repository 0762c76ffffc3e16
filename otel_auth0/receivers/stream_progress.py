"""What the log_stream receiver has delivered, shared with the logs_api gap-filler in hybrid mode."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class StreamProgress:
    """``highest_log_id`` is the highest log_id durably enqueued from the stream (restored at start);
    ``last_received`` the UNIX time of the last delivery with events; ``newest_event_at`` the newest
    event ``date`` delivered (capped at its receipt time), which shows whether the stream is behind."""

    highest_log_id: str | None = None
    last_received: float | None = None
    newest_event_at: float | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)


def log_id_order(log_id: str) -> tuple[int, str]:
    """Sort key for Auth0 log ids (fixed-width decimal numbers; the empty cursor sorts first)."""
    return (len(log_id), log_id)
