"""What receivers share: the services they are given and the interface the runtime drives."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol

from otel_auth0.config import Config
from otel_auth0.instruments import Instruments
from otel_auth0.pipeline.intake import Intake


@dataclass
class StreamProgress:
    """What the log_stream receiver has delivered, for the logs_api gap-filler in hybrid mode.

    ``highest_log_id`` is the highest log_id durably enqueued from the stream (restored at start);
    ``last_received`` the UNIX time of the last delivery with events; ``newest_event_at`` the newest
    event ``date`` delivered (capped at its receipt time), which shows whether the stream is behind."""

    highest_log_id: str | None = None
    last_received: float | None = None
    newest_event_at: float | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)


def log_id_order(log_id: str) -> tuple[int, str]:
    """Sort key for Auth0 log ids (fixed-width decimal numbers; the empty cursor sorts first)."""
    return (len(log_id), log_id)


@dataclass
class Services:
    """Handed to every receiver by the runtime."""

    config: Config
    intake: Intake
    instruments: Instruments
    stream_progress: StreamProgress = field(default_factory=StreamProgress)


class Receiver(Protocol):
    """A source that runs until ``stop`` is set, then returns after finishing its current step."""

    name: str

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set."""


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` unless ``stop`` is set first; True when stopping."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=max(0.0, seconds))
    except TimeoutError:
        return False
    return True
