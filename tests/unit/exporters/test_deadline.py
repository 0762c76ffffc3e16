"""The whole-attempt deadline of OTLP/HTTP (issue 25.5): every pool of the client gets it, also those
of environment proxies, and a backend trickling its answer fails the attempt at the deadline although
each byte arrives well within the per-read timeout. A real loopback socket."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from otel_auth0.exporters.deadline import DeadlineBackend, install_deadline


def test_every_pool_gets_the_deadline_also_for_environment_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    client = httpx.Client()
    backend = install_deadline(client)
    pools = [client._transport, *(t for t in client._mounts.values() if t is not None)]
    assert len(pools) >= 2
    assert all(t._pool._network_backend is backend for t in pools)
    client.close()


@pytest.fixture
def trickling() -> Iterator[str]:
    """A server answering 200 with Content-Length 100000, then one byte every 0.3 s; it hangs up after
    200 bytes (without a deadline the client then fails on the short body, not on a timeout)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            for _ in range(200):
                if stop.wait(0.3):
                    return
                try:
                    conn.sendall(b"x")
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/v1/logs"
    stop.set()
    server.close()
    thread.join(10)


def test_a_trickled_answer_fails_at_the_deadline(trickling: str) -> None:
    client = httpx.Client(timeout=5.0)  # each read would wait up to 5 s; bytes come every 0.3 s
    backend: DeadlineBackend = install_deadline(client)
    with pytest.raises(httpx.TimeoutException), backend.attempt(1.0):
        client.post(trickling, content=b"x")
    client.close()
