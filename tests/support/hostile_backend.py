"""An OTLP/HTTP backend of the tests' own on a free loopback port that can misbehave on purpose:
answer 503 with any ``Retry-After``, trickle a 200 one byte at a time, redirect elsewhere; or accept
(``healthy``). It records every request's headers and the ``auth0.log.id`` of every accepted log
record."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)

from tests.otlp_receiver import attributes


@dataclass
class Behaviour:
    """What the backend does with the next request: ``mode`` is ``healthy``, ``retry_after`` (503 with
    ``retry_after`` as the header), ``trickle`` (200 announcing ``Content-Length: 100000``, one byte
    every ``trickle_every`` seconds) or ``redirect`` (``status`` to ``location``)."""

    mode: str = "healthy"
    retry_after: str = ""
    trickle_every: float = 2.0
    status: int = 307
    location: str = ""


@dataclass
class Recorded:
    """What reached the backend."""

    requests: int = 0
    headers: list[dict[str, str]] = field(default_factory=list)
    log_ids: list[str] = field(default_factory=list)
    answered: dict[str, int] = field(default_factory=dict)  # mode -> requests answered that way


class HostileBackend:
    """The server's state, shared with its handler threads."""

    def __init__(self) -> None:
        self.behaviour = Behaviour()
        self.recorded = Recorded()
        self.lock = threading.Lock()
        self.closing = threading.Event()
        self.url = ""

    def set(self, **behaviour: Any) -> None:
        """Change what the next requests get."""
        with self.lock:
            self.behaviour = Behaviour(**behaviour)

    def log_ids(self) -> list[str]:
        """Every accepted log record's ``auth0.log.id``, in arrival order."""
        with self.lock:
            return list(self.recorded.log_ids)

    def answered(self, mode: str) -> int:
        """Requests answered in ``mode``."""
        with self.lock:
            return self.recorded.answered.get(mode, 0)

    def wait_for(self, condition: Any, timeout: float = 120.0) -> None:
        """Wait (generously) until ``condition()`` holds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s; recorded {self.recorded}")
            time.sleep(0.05)


def _handler(state: HostileBackend) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                behaviour = state.behaviour
                state.recorded.requests += 1
                state.recorded.headers.append({k.lower(): v for k, v in self.headers.items()})
                state.recorded.answered[behaviour.mode] = state.recorded.answered.get(behaviour.mode, 0) + 1
            if behaviour.mode == "retry_after":
                self._answer(503, b"overloaded", {"Retry-After": behaviour.retry_after})
            elif behaviour.mode == "redirect":
                self._answer(behaviour.status, b"", {"Location": behaviour.location})
            elif behaviour.mode == "trickle":
                self._trickle(behaviour.trickle_every)
            elif self.path.endswith("/v1/logs"):
                self._accept(body)
            else:  # spans and metrics: taken, not recorded
                self._answer(200, b"", {"Content-Type": "application/x-protobuf"})

        def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _trickle(self, every: float) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.close_connection = True
            try:
                for _ in range(100000):
                    self.wfile.write(b"\0")
                    self.wfile.flush()
                    if state.closing.wait(every):
                        return
            except OSError:
                return  # the client gave up

        def _accept(self, body: bytes) -> None:
            request = ExportLogsServiceRequest.FromString(body)
            ids = [  # tenant log events (detections, which the test's events may raise, carry no log id)
                str(found["auth0.log.id"])
                for resource in request.resource_logs
                for scope in resource.scope_logs
                for record in scope.log_records
                if "auth0.log.id" in (found := attributes(record.attributes))
            ]
            with state.lock:
                state.recorded.log_ids.extend(ids)
            answer = ExportLogsServiceResponse().SerializeToString()
            self._answer(200, answer, {"Content-Type": "application/x-protobuf"})

    return Handler


@contextmanager
def hostile_backend() -> Iterator[HostileBackend]:
    """Serve a :class:`HostileBackend` on ``127.0.0.1`` (healthy until told otherwise)."""
    state = HostileBackend()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.closing.set()
        server.shutdown()
        server.server_close()
        thread.join()
