"""Start-up of the simulator: certificates, state, uvicorn, traffic generator, Log Stream pusher."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import sys
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from otel_auth0.local_tls import TlsFiles, ensure_certificates
from otel_auth0_sim.app import create_app
from otel_auth0_sim.auth_state import startup_info as probe_startup_info
from otel_auth0_sim.event_streams import EventStreamPusher, EventStreamsState, EventStreamTarget
from otel_auth0_sim.history import backfill
from otel_auth0_sim.log_stream_push import LogStreamPusher, StreamTarget, starting_cursor
from otel_auth0_sim.middleware import CONTROLS_OFF, ControlAccess
from otel_auth0_sim.scenarios import run_scenario
from otel_auth0_sim.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, M2M_SCOPES, M2MClient, TenantState
from otel_auth0_sim.traffic import TrafficGenerator, generate_forever


@dataclass(frozen=True)
class SimulatorOptions:
    """Everything ``otel-auth0 simulate`` can be told."""

    host: str = "127.0.0.1"
    port: int = 8443
    tls: bool = True
    state_dir: Path = Path(".otel-auth0/simulator")
    events_per_second: float = 5.0
    max_events: int | None = None
    seed: int | None = None
    mgmt_rate_limit: int = 16
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    client_scopes: tuple[str, ...] = M2M_SCOPES
    profile: str = "good"
    log_stream: StreamTarget | None = None
    event_stream: EventStreamTarget | None = None
    controls: ControlAccess = CONTROLS_OFF
    scenario: str | None = None
    scenario_after: float = 5.0


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling (it re-raises the signal after shutdown)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def startup_info(state: TenantState, options: SimulatorOptions, tls: TlsFiles | None) -> dict[str, Any]:
    """The start-up JSON line scripts and tests read."""
    return {
        "domain": state.domain,
        "tenant_name": state.tenant_name,
        "scheme": "https" if tls else "http",
        "ca_file": str(tls.ca_file) if tls else None,
        "client_id": options.client_id,
        "client_secret": options.client_secret,
        **probe_startup_info(),
    }


async def serve(options: SimulatorOptions) -> int:
    """Run the simulator until SIGINT/SIGTERM; returns the exit code."""
    try:
        sock = _listen(options.host, options.port)
    except OSError as exc:
        print(f"otel-auth0 simulate: cannot listen on {options.host}:{options.port}: {exc}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    domain = f"[{options.host}]:{port}" if ":" in options.host else f"{options.host}:{port}"
    tls = ensure_certificates(options.state_dir / "tls") if options.tls else None
    state = TenantState(
        domain,
        clients=[M2MClient(options.client_id, options.client_secret, scopes=options.client_scopes)],
        mgmt_rate_limit=options.mgmt_rate_limit,
        seed=options.seed,
        profile=options.profile,
        scheme="https" if options.tls else "http",
    )
    generator = TrafficGenerator(state.tenant_name, state.environment_name, state.hostname, options.seed)
    if options.profile == "large":
        backfill(state, generator)
    event_streams = EventStreamsState(state)
    if options.event_stream is not None:
        event_streams.target = options.event_stream
        event_streams.log_cursor = state.events[-1]["log_id"] if state.events else None
    if options.log_stream is not None:
        # Before serving: an event stored through the API from now on is "new" and pushed.
        state.stream.cursor = starting_cursor(state, options.log_stream)
    config = uvicorn.Config(
        create_app(state, generator, options.controls, event_streams),
        log_level="warning",
        access_log=False,
        lifespan="off",
        ssl_certfile=str(tls.cert_file) if tls else None,
        ssl_keyfile=str(tls.key_file) if tls else None,
    )
    server = _Server(config)
    loop = asyncio.get_running_loop()

    def stop() -> None:
        server.force_exit = server.should_exit  # a second signal skips the graceful wait
        server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)
    if serving.done():
        await serving
        return 1
    print(json.dumps(startup_info(state, options, tls)), flush=True)
    async with httpx.AsyncClient(timeout=10.0) as client:
        background = [
            asyncio.create_task(
                generate_forever(state, generator, options.events_per_second, options.max_events)
            )
        ]
        if options.log_stream is not None:
            background.append(asyncio.create_task(LogStreamPusher(state, options.log_stream, client).run()))
        if options.event_stream is not None:
            pusher = EventStreamPusher(event_streams, options.event_stream, client)
            background.append(asyncio.create_task(pusher.run()))
        if options.scenario is not None:
            background.append(asyncio.create_task(_scenario_later(state, generator, options)))
        await serving
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
    return 0


async def _scenario_later(state: TenantState, generator: TrafficGenerator, options: SimulatorOptions) -> None:
    """``--scenario``: start it ``scenario_after`` seconds after start-up."""
    await asyncio.sleep(options.scenario_after)
    assert options.scenario is not None
    run_scenario(state, generator, options.scenario, {})


def run(options: SimulatorOptions) -> int:
    """Blocking entry point used by the CLI."""
    return asyncio.run(serve(options))
