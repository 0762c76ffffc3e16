"""What receivers share: the services they are given and the interface the runtime drives."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from otel_auth0.config import Config
from otel_auth0.instruments import Instruments
from otel_auth0.pipeline.intake import Intake
from otel_auth0.pipeline.worker import Backoff

log = logging.getLogger(__name__)


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


async def poll_periodically(
    name: str,
    services: Services,
    interval: float,
    poll: Callable[[], Awaitable[object]],
    stop: asyncio.Event,
    backoff: Backoff,
    expected: type[Exception],
) -> None:
    """Run ``poll`` every ``interval`` (±10 % jitter) until ``stop``; failures back off and are counted in
    ``otel_auth0.receiver.errors`` (``error.type`` from the exception's ``error_type``, else ``internal``)."""
    source = {"otel_auth0.receiver": name}
    while not stop.is_set():
        wait = interval * random.uniform(0.9, 1.1)
        try:
            await poll()
        except Exception as error:
            wait = backoff.next_delay()
            known = isinstance(error, expected)
            error_type = getattr(error, "error_type", "internal") if known else "internal"
            services.instruments.receiver_errors.add(1, {**source, "error.type": error_type})
            if known:
                log.warning("%s: %s; retrying in %.0fs", name, error, wait)
            else:
                log.exception("%s: poll failed unexpectedly; retrying in %.0fs", name, wait)
        else:
            backoff.reset()
            services.instruments.receiver_last_success.set(time.time(), source)
        if await sleep_or_stop(stop, wait):
            break
