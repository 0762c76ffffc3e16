"""HTTP servers embedded in the collector's event loop: a pre-bound socket and uvicorn without signals,
bounded against hostile clients.

Every listener of ours (the Log Stream receiver, the telemetry server, any future webhook) serves through
:class:`LimitedServer` with a :class:`ListenerLimits`:

- **Connections**: the listening socket is accepted from by :class:`_Acceptor`, never by asyncio's own
  accept loop (which accepts up to the backlog in one go, before any connection can be evicted, and
  logs a traceback per ``EMFILE``). It accepts only while fewer than ``max_connections`` sockets are
  open. At the cap it closes the longest-idle connections that have not started a request and accepts
  again once they are gone; when every connection is busy it stops accepting (new clients wait in the
  kernel's queue) until one closes. Out of file descriptors anyway (``EMFILE``), it pauses accepting
  until a connection closes or a second passes.
- **Headers**: a connection must send its request headers within ``header_timeout`` (after connecting,
  or after its previous response when kept alive); they may take ``max_header_bytes`` and
  ``max_headers`` fields at most (431 otherwise). Endless header lines cost at most that much memory.
- **Open files**: :func:`reserve_open_files` raises the soft ``RLIMIT_NOFILE`` to what every listener's
  cap needs beside ``RESERVED_FILES``, and refuses (a ValueError naming the key) when the hard limit is
  too low.
- **Logs**: each kind of incident (cap reached, out of files, slow or oversized headers, garbage) is one
  line per minute with a count (:class:`otel_auth0.incidents.Incidents`), never a line per connection;
  every incident is counted (``otel_auth0.listener.incidents``, through the server's ``count``).

A new listener (e.g. an Event Streams webhook) does what the Log Stream receiver does: at construction
``limits = ListenerLimits(name, key, ...)``, ``reserve_open_files(limits)`` and ``sock = bind(listen,
key + ".listen")``; to serve, ``LimitedServer(uvicorn.Config(app, lifespan="off", ...), limits,
instruments.listener_counter(name)).serve(sockets=[sock])``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import logging
import resource
import socket
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from otel_auth0.incidents import Incidents

log = logging.getLogger(__name__)

# File descriptors kept free beside the listeners' connections (queue database, exporters, feeds).
RESERVED_FILES = 128
# Connections waiting in the kernel's queue for accept() (the kernel caps it at net.core.somaxconn).
LISTEN_BACKLOG = 1024
# Sockets accepted (or idle connections evicted) per turn of the event loop.
ACCEPT_BATCH = 32
# After EMFILE/ENFILE: accept again after this long, or as soon as a connection closes.
ACCEPT_RETRY_DELAY = 1.0
_OUT_OF_FILES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# max_connections of each listener (by configuration key), for the process's open-file budget.
_reserved: dict[str, int] = {}


@dataclass(frozen=True, slots=True)
class ListenerLimits:
    """What one listener allows its clients (documented with its keys in docs/configuration.md)."""

    name: str  # in log lines: "log_stream", "telemetry"
    key: str  # the configuration section, in errors: "receivers.log_stream", "telemetry"
    max_connections: int
    header_timeout: float
    max_header_bytes: int = 32 * 1024
    max_headers: int = 100


class EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the collector owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def bind(listen: str, key: str) -> socket.socket:
    """A non-blocking listening socket on ``HOST:PORT``; failure is a ValueError naming ``key``."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    try:
        sock = socket.create_server(
            (host, int(port)),
            family=socket.AF_INET6 if ":" in host else socket.AF_INET,
            backlog=LISTEN_BACKLOG,
        )
    except OSError as error:
        reason = error.strerror or error
        raise ValueError(f"{key}: cannot listen on {listen}: {reason}") from None
    sock.setblocking(False)
    return sock


def bound_address(sock: socket.socket) -> str:
    """``host:port`` (``[host]:port`` for IPv6) of a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def reserve_open_files(limits: ListenerLimits) -> None:
    """Count ``limits.max_connections`` in the process's open-file budget and raise the soft
    ``RLIMIT_NOFILE`` to fit every listener's connections beside ``RESERVED_FILES``; a ValueError
    naming the key when the hard limit is too low (raising it needs privileges the process lacks)."""
    _reserved[limits.key] = limits.max_connections
    wanted = sum(_reserved.values()) + RESERVED_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    if hard != resource.RLIM_INFINITY and hard < wanted:
        del _reserved[limits.key]
        listeners = ", ".join(f"{key}.max_connections={count}" for key, count in _reserved.items())
        others = f" beside {listeners}" if listeners else ""
        raise ValueError(
            f"{limits.key}.max_connections: {limits.max_connections} connections{others} and "
            f"{RESERVED_FILES} other files need {wanted} open files, but the hard limit (RLIMIT_NOFILE) "
            f"is {hard}: raise it (systemd LimitNOFILE=, docker run --ulimit nofile=, ulimit -Hn) "
            "or lower max_connections"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    log.debug("raised the open-file soft limit from %d to %d", soft, wanted)


class _HeaderLimit(Exception):
    """The request's headers exceed a limit (raised inside a parser callback)."""


# Counts ``(reason, n)`` of what a listener did to protect itself (otel_auth0.listener.incidents).
IncidentCounter = Callable[[str, int], None]
# Its reasons (docs/telemetry.md); each series exists from start-up, at 0.
INCIDENTS = (
    "connections_evicted",
    "connections_busy",
    "header_timeout",
    "header_too_large",
    "bad_request",
    "out_of_files",
    "accept_failed",
)


class _ListenerState:
    """What the connections of one listener share: limits, incident log and counter, the acceptor."""

    def __init__(self, limits: ListenerLimits, count: IncidentCounter | None) -> None:
        self.limits = limits
        self.incidents = Incidents(log)
        self.acceptor: _Acceptor | None = None
        self._count = count
        if count is not None:
            for kind in INCIDENTS:
                count(kind, 0)

    def incident(self, kind: str, message: str, *args: object, times: int = 1) -> None:
        """Count ``times`` incidents of ``kind``; log one line per kind and minute."""
        if self._count is not None:
            self._count(kind, times)
        self.incidents.report(kind, logging.WARNING, f"{self.limits.name}: {message}", *args)


class BoundedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header time, size and count limits; reports to its acceptor."""

    state: _ListenerState  # set on the subclass :func:`_protocol_class` makes per listener
    _idle_since = 0.0
    _header_timer: asyncio.TimerHandle | None = None
    _in_headers = False
    _header_bytes = 0  # request line and fields the parser reported
    _header_raw = 0  # bytes received while the headers were incomplete
    _began = False  # a request began in the data being parsed
    _header_fields = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._idle_since = self.loop.time()
        self._arm_header_timer()
        if self.state.acceptor is not None:
            self.state.acceptor.connected()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        super().connection_lost(exc)
        if self.state.acceptor is not None:
            self.state.acceptor.released()

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        self._began = False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(400, "bad_request", "protocol upgrades are not supported")
            return
        except httptools.HttpParserError as error:
            if isinstance(error.__context__, _HeaderLimit):
                self._refuse(431, "header_too_large", str(error.__context__))
            else:
                self._refuse(400, "bad_request", "invalid HTTP request")
            return
        if self._in_headers and not self._began:
            # What the parser holds before the fields complete (an endless header line). Data in which
            # the request began may end a previous one: the fields it completed are counted exactly.
            self._header_raw += len(data)
            if self._header_raw > self.state.limits.max_header_bytes:
                self._refuse(431, "header_too_large", self._too_large())

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = self._began = True
        self._header_bytes = self._header_raw = self._header_fields = 0

    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_fields += 1
        if self._header_fields > self.state.limits.max_headers:
            raise _HeaderLimit(f"more than {self.state.limits.max_headers} header fields")
        self._count_header_bytes(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._idle_since = self.loop.time()
        self._arm_header_timer()

    def awaiting_request(self) -> bool:
        """No request in progress (headers not complete, or the last response sent)."""
        return self.cycle is None or self.cycle.response_complete

    def _count_header_bytes(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.state.limits.max_header_bytes:
            raise _HeaderLimit(self._too_large())

    def _too_large(self) -> str:
        return f"request headers exceed {self.state.limits.max_header_bytes} bytes"

    def _refuse(self, status: int, kind: str, reason: str) -> None:
        """Answer ``status`` with ``reason`` and close; one log line per kind and minute."""
        self.state.incident(kind, "closing connections: %s", reason)
        self._in_headers = False
        if self.transport.is_closing():
            return
        phrase = {400: b"Bad Request", 431: b"Request Header Fields Too Large"}[status]
        body = reason.encode()
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (status, phrase, len(body), body)
        )
        self.transport.close()

    def _arm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        self._header_timer = self.loop.call_later(self.state.limits.header_timeout, self._header_timeout)

    def _header_timeout(self) -> None:
        if self.awaiting_request() and not self.transport.is_closing():
            timeout = self.state.limits.header_timeout
            self.state.incident(
                "header_timeout", "closing connections whose request headers took over %gs", timeout
            )
            self.transport.close()


def _protocol_class(state: _ListenerState) -> type[BoundedProtocol]:
    return type("BoundedProtocol", (BoundedProtocol,), {"state": state})


def _same(protocol: BoundedProtocol) -> BoundedProtocol:
    return protocol


class _Acceptor:
    """Accepts connections on ``sock`` within ``max_connections`` (see the module docstring)."""

    def __init__(
        self,
        sock: socket.socket,
        factory: Callable[[], BoundedProtocol],
        state: _ListenerState,
        connections: set[Any],
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._sock = sock
        self._factory = factory
        self._state = state
        self._connections = connections
        self._open = 0  # accepted sockets not yet closed
        self._reading = False
        self._closed = False
        self._retry: asyncio.TimerHandle | None = None
        state.acceptor = self
        self._resume()

    def close(self) -> None:
        """Stop accepting (the socket is closed by the server)."""
        self._closed = True
        self._pause()
        if self._retry is not None:
            self._retry.cancel()

    async def wait_closed(self) -> None:
        """Nothing to wait for (asyncio.Server's interface)."""

    def connected(self) -> None:
        """An accepted connection is set up: at the cap it is another candidate for eviction."""
        if self._open >= self._state.limits.max_connections:
            self._resume()

    def released(self) -> None:
        """A connection closed: its slot is free."""
        self._open -= 1
        self._resume()

    def _resume(self) -> None:
        if not self._reading and not self._closed and self._sock.fileno() != -1:
            self._loop.add_reader(self._sock.fileno(), self._accept)
            self._reading = True

    def _pause(self) -> None:
        if self._reading:
            if self._sock.fileno() != -1:
                self._loop.remove_reader(self._sock.fileno())
            self._reading = False

    def _accept(self) -> None:
        limits = self._state.limits
        for _ in range(ACCEPT_BATCH):
            if self._open >= limits.max_connections:
                self._at_capacity()
                return
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as error:
                self._cannot_accept(error)
                return
            self._open += 1
            conn.setblocking(False)
            protocol = self._factory()
            connecting = self._loop.connect_accepted_socket(functools.partial(_same, protocol), conn)
            task = self._loop.create_task(connecting)
            task.add_done_callback(functools.partial(self._connected, protocol, conn))

    def _connected(self, protocol: BoundedProtocol, conn: socket.socket, task: asyncio.Task[Any]) -> None:
        if (task.cancelled() or task.exception() is not None) and protocol.transport is None:
            # The transport never took the socket over (shutting down): give the slot back.
            conn.close()
            self.released()

    def _at_capacity(self) -> None:
        """Close the longest-idle connections that have not started a request; when every connection
        is busy, stop accepting until one closes."""
        self._pause()
        idle = [
            protocol
            for protocol in self._connections
            if isinstance(protocol, BoundedProtocol)
            and protocol.awaiting_request()
            and not protocol.transport.is_closing()
        ]
        limits = self._state.limits
        if not idle:
            self._state.incident(
                "connections_busy",
                "all %d connections are busy (max_connections); new ones wait until one closes",
                limits.max_connections,
            )
            return
        idle.sort(key=lambda protocol: protocol._idle_since)
        evicted = idle[: max(1, min(ACCEPT_BATCH, limits.max_connections // 4))]
        for protocol in evicted:
            protocol.transport.abort()
        self._state.incident(
            "connections_evicted",
            "%d connections open (max_connections); closing the longest-idle ones",
            limits.max_connections,
            times=len(evicted),
        )

    def _cannot_accept(self, error: OSError) -> None:
        """Out of file descriptors (or another accept failure): pause until a connection closes or
        ``ACCEPT_RETRY_DELAY`` passed; one log line per minute."""
        kind = "out_of_files" if error.errno in _OUT_OF_FILES else "accept_failed"
        self._state.incident(
            kind, "cannot accept connections (%s); %d open, retrying", error.strerror or error, self._open
        )
        self._pause()
        if self._retry is not None:
            self._retry.cancel()
        self._retry = self._loop.call_later(ACCEPT_RETRY_DELAY, self._resume)


class LimitedServer(EmbeddedServer):
    """uvicorn serving pre-bound sockets through :class:`_Acceptor` and :class:`BoundedProtocol`."""

    def __init__(
        self, config: uvicorn.Config, limits: ListenerLimits, count: IncidentCounter | None = None
    ) -> None:
        super().__init__(config)
        self._state = _ListenerState(limits, count)
        config.http = _protocol_class(self._state)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start accepting on ``sockets`` (required)."""
        if sockets is None:
            raise ValueError("LimitedServer serves pre-bound sockets only")
        await self.lifespan.startup()
        config = self.config
        if not config.loaded:
            config.load()

        def create_protocol() -> BoundedProtocol:
            protocol = config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )
            assert isinstance(protocol, BoundedProtocol)
            return protocol

        connections: set[Any] = self.server_state.connections
        self.servers = [
            _Acceptor(sock, create_protocol, self._state, connections)  # type: ignore[misc]
            for sock in sockets
        ]
        self.started = True
