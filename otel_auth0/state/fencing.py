"""Fencing tokens: the lease a piece of work runs under travels with it (a context variable, so also
into ``asyncio.to_thread``), and a backend that shares state between replicas refuses that work's
writes once the lease moved on (:class:`Fenced`)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from otel_auth0.state.queue import QueueFull


@dataclass(frozen=True, slots=True)
class Fence:
    """The lease the current work holds: its name, this replica and the epoch it was granted."""

    lease: str
    holder: str
    epoch: int


CURRENT_FENCE: ContextVar[Fence | None] = ContextVar("otel_auth0_fence", default=None)


class Fenced(QueueFull):
    """A write made under a lease that is no longer this replica's (expired or taken over): refused,
    nothing changed. Receivers treat it like a full queue (pause, never drop); the lease runner stops
    them."""

    def __init__(self, fence: Fence) -> None:
        super().__init__(
            f"lease {fence.lease} epoch {fence.epoch} is no longer held by {fence.holder}; write refused"
        )
        self.fence = fence
