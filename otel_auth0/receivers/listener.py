"""Bounds for the Log Stream listener: connections, header time, in-flight body bytes, open files.

uvicorn has no header timeout and no connection cap of its own (its ``limit_concurrency`` answers
503 to every request once idle sockets fill it, which would lock Auth0 out), so its httptools HTTP
protocol (the C parser ``uvicorn[standard]`` brings, see docs/performance.md) is subclassed: a
connection must send its request headers within ``header_timeout`` (after connecting, or after its
previous response when kept alive), and at ``max_connections`` a new connection closes the
longest-idle one that has not started a request (or is itself closed when every connection is
busy). Body bytes are reserved from a :class:`ByteBudget` before a body is read.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from otel_auth0.incidents import Incidents

log = logging.getLogger(__name__)
_incidents = Incidents(log)

# File descriptors kept free beside the listener's connections (queue database, exporters, feeds).
RESERVED_FILES = 128


def raise_open_files_limit(connections: int) -> int:
    """Raise the soft ``RLIMIT_NOFILE`` (up to the hard limit) so ``connections`` sockets fit beside
    ``RESERVED_FILES``; returns how many connections fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + RESERVED_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    fits = connections if soft == resource.RLIM_INFINITY else min(connections, soft - RESERVED_FILES)
    if fits < connections:
        log.warning(
            "log_stream: the open-file limit (%d) allows %d connections, not max_connections=%d",
            soft,
            fits,
            connections,
        )
    return max(1, fits)


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


def bounded_protocol(max_connections: int, header_timeout: float) -> type[HttpToolsProtocol]:
    """An httptools protocol class enforcing ``max_connections`` and ``header_timeout``."""

    class BoundedProtocol(HttpToolsProtocol):
        _opened_at = 0.0
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._opened_at = self.loop.time()
            if len(self.connections) > max_connections and not self._evict_idle():
                _incidents.report(
                    "connections_busy",
                    logging.WARNING,
                    "log_stream: %d connections are all busy (max_connections); closing a new one",
                    max_connections,
                )
                self.transport.abort()
                return
            self._arm_header_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm_header_timer()

        def _awaiting_request(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _arm_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            self._header_timer = self.loop.call_later(header_timeout, self._header_timeout)

        def _header_timeout(self) -> None:
            if self._awaiting_request() and not self.transport.is_closing():
                self.transport.close()

        def _evict_idle(self) -> bool:
            """Close the longest-idle connection that has not started a request; False when none."""
            idle: list[Any] = [
                other
                for other in self.connections
                if other is not self and isinstance(other, BoundedProtocol) and other._awaiting_request()
            ]
            if not idle:
                return False
            oldest = min(idle, key=lambda other: other._opened_at)
            _incidents.report(
                "connections_evicted",
                logging.WARNING,
                "log_stream: %d connections open (max_connections); closing the longest-idle ones",
                max_connections,
            )
            oldest.transport.abort()
            return True

    return BoundedProtocol
