"""A whole-request deadline for httpx: every socket operation of an attempt waits at most until the
attempt's deadline, so a backend trickling its answer one byte at a time cannot stretch one attempt
beyond ``exporters.otlp.timeout`` (httpx's own timeouts bound each read, not the request).

The deadline lives in the calling thread (:meth:`DeadlineBackend.attempt`); the httpcore network
backend it installs bounds connect, TLS handshake, reads and writes by the time left."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx


class _Deadline(threading.local):
    at: float | None = None


def _time_left(deadline: _Deadline, timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` shortened to what is left of the deadline; ``error`` once nothing is left."""
    if deadline.at is None:
        return timeout
    left = deadline.at - time.monotonic()
    if left <= 0:
        raise error("the export attempt's deadline passed (exporters.otlp.timeout)")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def _left(self, timeout: float | None, error: type[Exception]) -> float | None:
        return _time_left(self._deadline, timeout, error)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = self._left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, bounded), self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's synchronous backend, with every operation bounded by the thread's deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = _Deadline()

    @contextmanager
    def attempt(self, seconds: float) -> Iterator[None]:
        """Bound everything this thread's requests do inside the block to ``seconds`` in all."""
        self._deadline.at = time.monotonic() + seconds
        try:
            yield
        finally:
            self._deadline.at = None

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _time_left(self._deadline, timeout, httpcore.ConnectTimeout)
        inner = self._inner.connect_tcp(host, port, bounded, local_address, socket_options)
        return _Stream(inner, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, timeout, socket_options), self._deadline)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install_deadline(client: httpx.Client) -> DeadlineBackend:
    """Give every connection pool of ``client`` (its own and those of environment proxies it mounted)
    a :class:`DeadlineBackend`; returned for :meth:`DeadlineBackend.attempt`. Done before the first
    request; httpx offers no public way to pass a network backend, so a pool without one is an error
    here rather than a silent loss of the deadline."""
    backend = DeadlineBackend()
    transports = [client._transport, *client._mounts.values()]
    for transport in transports:
        if transport is None:
            continue
        pool = getattr(transport, "_pool", None)
        if pool is None or not hasattr(pool, "_network_backend"):
            raise RuntimeError(f"httpx transport {transport!r} has no connection pool to bound")
        pool._network_backend = backend
    return backend
