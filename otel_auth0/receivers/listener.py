"""In-flight body bytes of a listener's requests (connection, header and open-file limits are in
:mod:`otel_auth0.http_listen`)."""

from __future__ import annotations

import asyncio


class ByteBudget:
    """Bytes that requests may hold at once; :meth:`acquire` waits for room (FIFO-fair enough)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._free = capacity
        self._changed = asyncio.Condition()

    async def acquire(self, size: int) -> int:
        """Reserve ``size`` bytes (at most the whole budget), waiting for room; returns what was reserved."""
        size = min(size, self.capacity)
        async with self._changed:
            await self._changed.wait_for(lambda: self._free >= size)
            self._free -= size
        return size

    async def release(self, size: int) -> None:
        """Give ``size`` reserved bytes back."""
        async with self._changed:
            self._free += size
            self._changed.notify_all()
