"""HTTP servers embedded in the collector's event loop: a pre-bound socket and uvicorn without signals."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Generator

import uvicorn


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
            (host, int(port)), family=socket.AF_INET6 if ":" in host else socket.AF_INET, backlog=128
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
