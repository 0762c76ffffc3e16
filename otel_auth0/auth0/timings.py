"""Per-phase HTTP timings from httpcore's trace extension (``extensions={"trace": recorder}``).

Phases: ``dns`` (measured by resolving the host before the first request of a probe run; 0 for IP
literals), ``connect`` (TCP connect), ``tls`` (handshake), ``send`` (request headers and body),
``ttfb`` (waiting for the response headers) and ``body`` (reading the response body). A reused
connection has no ``connect``/``tls`` phase.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import time
from typing import Any

# httpcore trace step -> our phase name
_PHASES = {
    "connect_tcp": "connect",
    "start_tls": "tls",
    "send_request_headers": "send",
    "send_request_body": "send",
    "receive_response_headers": "ttfb",
    "receive_response_body": "body",
}


class PhaseRecorder:
    """An async httpcore trace callback that sums the seconds spent in each phase."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._started: dict[str, float] = {}

    async def __call__(self, event_name: str, info: dict[str, Any]) -> None:
        step, _, status = event_name.rpartition(".")
        phase = _PHASES.get(step.rpartition(".")[2])
        if phase is None:
            return
        now = time.perf_counter()
        if status == "started":
            self._started[phase] = now
        elif phase in self._started:
            self.phases[phase] = self.phases.get(phase, 0.0) + now - self._started.pop(phase)

    def add(self, phase: str, seconds: float) -> None:
        """Record a phase measured outside httpcore (DNS)."""
        self.phases[phase] = self.phases.get(phase, 0.0) + seconds


async def resolve_seconds(host: str, port: int) -> float:
    """Seconds a DNS lookup of ``host`` takes (0 for an IP literal); errors surface on connect."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return 0.0
    except ValueError:
        pass
    started = time.perf_counter()
    with contextlib.suppress(OSError):
        await asyncio.get_running_loop().getaddrinfo(host, port)
    return time.perf_counter() - started
