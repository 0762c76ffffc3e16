"""A round-robin TCP load balancer for tests, like a Log Stream's load balancer in front of replicas:
each client connection goes to the next backend that accepts it (a dead backend is skipped), and
bytes are relayed both ways until either side closes. Runs its own event loop in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager


class TcpBalancer:
    """Listens on ``127.0.0.1:<port>`` and spreads connections over ``backends`` (``host:port``)."""

    def __init__(self, port: int, backends: Sequence[str]) -> None:
        self.port = port
        self.backends = list(backends)
        self.connections: dict[str, int] = {backend: 0 for backend in self.backends}
        self._next = 0
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="tcp-balancer", daemon=True)

    def __enter__(self) -> TcpBalancer:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the test load balancer did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self._started.set()
        async with server:
            await self._stop.wait()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        for _ in range(len(self.backends)):
            backend = self.backends[self._next % len(self.backends)]
            self._next += 1
            host, _, port = backend.rpartition(":")
            try:
                connection = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 2)
            except (OSError, TimeoutError):
                continue
            self.connections[backend] += 1
            return connection
        return None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = await self._connect()
        if upstream is None:
            writer.close()
            return
        up_reader, up_writer = upstream
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                writer.close()


@contextmanager
def running_balancer(port: int, backends: Sequence[str]) -> Iterator[TcpBalancer]:
    """A :class:`TcpBalancer` for the duration of the block."""
    with TcpBalancer(port, backends) as balancer:
        yield balancer
