"""The push side of an Auth0 custom-webhook Log Stream.

Events stored after start-up (``start="new"``, the default: a real Log Stream starts when it is
created and never carries the history before it), or every stored event (``start="oldest"``), are
POSTed in log-id order as items ``{"log_id": …, "data": {…}}`` — a JSON array
(JSONARRAY), one JSON object per line (JSONLINES) or one object per request (JSONOBJECT) — with
``Content-Type: application/json`` and the configured ``Authorization`` value verbatim. A failed
batch (non-2xx or network error) is retried with exponential backoff and never skipped; after
``pause_after`` seconds of continuous failure the stream is suspended, like Auth0 pausing an
unreachable stream, until ``POST /_sim/stream {"paused": false}`` resumes it from where it stopped.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass

import httpx

from otel_auth0_sim.state import Event, TenantState

FORMATS = ("jsonarray", "jsonlines", "jsonobject")
# Where the stream starts: ``new`` carries only events stored after start-up, as a real Log Stream
# carries only events logged after it was created; ``oldest`` pushes every stored event first.
STARTS = ("new", "oldest")


@dataclass(frozen=True)
class StreamTarget:
    """Where and how to push: the sink URL, the Authorization value, format and batching."""

    url: str
    token: str
    format: str = "jsonarray"
    batch_size: int = 50
    pause_after: float = 300.0
    start: str = "new"

    def __post_init__(self) -> None:
        if self.start not in STARTS:
            raise ValueError(f"log stream start must be one of {', '.join(STARTS)}, got {self.start!r}")
        if self.format not in FORMATS:
            raise ValueError(f"log stream format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if self.batch_size < 1 or self.pause_after <= 0:
            raise ValueError("log stream batch size must be >= 1 and pause-after > 0")

    @property
    def items_per_post(self) -> int:
        """JSONOBJECT carries exactly one item per request."""
        return 1 if self.format == "jsonobject" else self.batch_size


def starting_cursor(state: TenantState, target: StreamTarget) -> str | None:
    """Where the stream starts: after every event stored so far (``new``), or before all (``oldest``)."""
    if target.start == "new" and state.events:
        return str(state.events[-1]["log_id"])
    return None


def encode_batch(events: list[Event], fmt: str) -> bytes:
    """The request body for ``events`` in the given content format."""
    items = [{"log_id": e["log_id"], "data": e} for e in events]
    if fmt == "jsonarray":
        return json.dumps(items).encode()
    if fmt == "jsonlines":
        return "\n".join(json.dumps(item) for item in items).encode()
    if len(items) != 1:
        raise ValueError("JSONOBJECT sends exactly one item per request")
    return json.dumps(items[0]).encode()


class LogStreamPusher:
    """Delivers the tenant's events to one webhook, in order, at least once."""

    def __init__(
        self,
        state: TenantState,
        target: StreamTarget,
        client: httpx.AsyncClient,
        *,
        backoff_initial: float = 0.2,
        backoff_max: float = 5.0,
    ) -> None:
        self.state = state
        self.target = target
        self.client = client
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._jitter = random.Random()
        state.stream.configured = True

    def _halted(self) -> bool:
        return self.state.stream.paused or self.state.stream.suspended

    async def run(self) -> None:
        """Push forever (until cancelled)."""
        while True:
            batch = await self._next_batch()
            await self._deliver(batch)

    async def _next_batch(self) -> list[Event]:
        while True:
            if not self._halted():
                batch = self.state.events_after(self.state.stream.cursor, self.target.items_per_post)
                if batch:
                    return batch
            self.state.changed.clear()
            await self.state.changed.wait()

    async def _deliver(self, batch: list[Event]) -> None:
        """POST ``batch`` until it is accepted, the stream is paused, or failures last too long."""
        stream = self.state.stream
        body = encode_batch(batch, self.target.format)
        headers = {"Content-Type": "application/json", "Authorization": self.target.token}
        failing_since: float | None = None
        attempt = 0
        while not self._halted():
            try:
                response = await self.client.post(self.target.url, content=body, headers=headers)
                if response.is_success:
                    stream.cursor = batch[-1]["log_id"]
                    stream.posts += 1
                    stream.delivered += len(batch)
                    return
                stream.last_error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                stream.last_error = f"{type(exc).__name__}: {exc}"
            stream.failures += 1
            now = time.monotonic()
            failing_since = failing_since or now
            if now - failing_since >= self.target.pause_after:
                stream.suspended = True
                return
            delay = min(self.backoff_max, self.backoff_initial * 2**attempt)
            await asyncio.sleep(delay * self._jitter.uniform(0.5, 1.0))
            attempt += 1
