"""The arguments and entry point of ``otel-auth0 simulate`` (see docs/simulator.md); the product's command
module loads this one only when the simulator is installed."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from otel_auth0_sim.event_streams import FORMATS as EVENT_FORMATS
from otel_auth0_sim.event_streams import EventStreamTarget
from otel_auth0_sim.log_stream_push import FORMATS, STARTS, StreamTarget
from otel_auth0_sim.middleware import ControlAccess
from otel_auth0_sim.scenarios import NAMES as SCENARIOS
from otel_auth0_sim.server import SimulatorOptions, run
from otel_auth0_sim.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, M2M_SCOPES, PROFILES


def _number(kind: Callable[[str], float], minimum: float, *, strict: bool = False) -> Callable[[str], Any]:
    """An argparse type accepting numbers >= ``minimum`` (> when ``strict``)."""

    def parse(text: str) -> Any:
        value = kind(text)
        if value < minimum or (strict and value == minimum):
            raise argparse.ArgumentTypeError(f"must be {'>' if strict else '>='} {minimum:g}, got {text}")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``otel-auth0 simulate``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=8443, help="port; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--tls",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="serve HTTPS with a generated CA (default)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".otel-auth0/simulator"),
        help="where the CA and certificate are kept",
    )
    parser.add_argument(
        "--events-per-second",
        type=_number(float, 0),
        default=5.0,
        help="generated events per second; 0 = on demand only",
    )
    parser.add_argument(
        "--max-events", type=_number(int, 0), default=None, help="stop generating after N events"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for deterministic event content")
    parser.add_argument(
        "--mgmt-rate-limit",
        type=_number(int, 1),
        default=16,
        help="Management API requests/second (burst = N)",
    )
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="M2M client id (default: %(default)s)")
    parser.add_argument(
        "--client-secret", default=DEFAULT_CLIENT_SECRET, help="M2M client secret (default: %(default)s)"
    )
    parser.add_argument(
        "--client-scopes",
        default=" ".join(M2M_SCOPES),
        metavar="SCOPES",
        help="space-separated scopes granted to the M2M client's tokens; leave read:logs out to see "
        "the collector name a missing scope (default: every read scope the collector and readiness use)",
    )
    parser.add_argument("--profile", choices=PROFILES, default="good", help="tenant configuration profile")
    parser.add_argument(
        "--scenario",
        choices=SCENARIOS,
        help="start this attack or failure scenario (docs/simulator.md) after --scenario-after seconds",
    )
    parser.add_argument(
        "--scenario-after",
        type=_number(float, 0),
        default=5.0,
        metavar="SECONDS",
        help="(default: %(default)s)",
    )
    stream = parser.add_argument_group("Log Stream push (custom webhook)")
    stream.add_argument("--log-stream-url", help="POST generated events to this webhook URL")
    stream.add_argument("--log-stream-token", default="", help="Authorization header value, sent verbatim")
    stream.add_argument("--log-stream-format", choices=FORMATS, default="jsonarray", help="content format")
    stream.add_argument("--log-stream-batch-size", type=_number(int, 1), default=50, help="items per POST")
    stream.add_argument(
        "--log-stream-pause-after",
        type=_number(float, 0, strict=True),
        default=300.0,
        metavar="SECONDS",
        help="suspend the stream after this long of continuous delivery failure",
    )
    stream.add_argument(
        "--log-stream-start",
        choices=STARTS,
        default="new",
        help="new: push only events stored after start-up, as a real Log Stream carries only events "
        "logged after its creation (default); oldest: push the stored history (the large profile's) too",
    )
    events = parser.add_argument_group("Event Streams push (webhook destination, CloudEvents)")
    events.add_argument("--event-stream-url", help="POST user lifecycle CloudEvents to this webhook URL")
    events.add_argument("--event-stream-token", default="", help="bearer token (sent as 'Bearer TOKEN')")
    events.add_argument(
        "--event-stream-format",
        choices=EVENT_FORMATS,
        default="json",
        help="one event per POST as application/json or application/cloudevents+json, or batches as "
        "application/cloudevents-batch+json (default: %(default)s)",
    )
    events.add_argument(
        "--event-stream-batch-size", type=_number(int, 1), default=20, help="events per POST in batch format"
    )
    events.add_argument(
        "--event-stream-retries",
        type=_number(int, 0),
        default=3,
        help="retries of a failed delivery before it is left failed (default: %(default)s)",
    )
    controls = parser.add_argument_group("test controls (/_sim/ endpoints; off by default)")
    controls.add_argument(
        "--enable-controls",
        action="store_true",
        help="serve the unauthenticated /_sim/ control endpoints (loopback tests and the demo only)",
    )
    controls.add_argument(
        "--control-token",
        default=None,
        metavar="TOKEN",
        help="serve the /_sim/ endpoints to requests with 'Authorization: Bearer TOKEN' only",
    )


def run_from_args(args: argparse.Namespace) -> int:
    """Run the simulator as the parsed arguments say."""
    stream = None
    if args.log_stream_url:
        stream = StreamTarget(
            args.log_stream_url,
            args.log_stream_token,
            args.log_stream_format,
            args.log_stream_batch_size,
            args.log_stream_pause_after,
            args.log_stream_start,
        )
    event_stream = None
    if args.event_stream_url:
        event_stream = EventStreamTarget(
            args.event_stream_url,
            args.event_stream_token,
            args.event_stream_format,
            args.event_stream_batch_size,
            args.event_stream_retries,
        )
    return run(
        SimulatorOptions(
            host=args.host,
            port=args.port,
            tls=args.tls,
            state_dir=args.state_dir,
            events_per_second=args.events_per_second,
            max_events=args.max_events,
            seed=args.seed,
            mgmt_rate_limit=args.mgmt_rate_limit,
            client_id=args.client_id,
            client_secret=args.client_secret,
            client_scopes=tuple(args.client_scopes.split()),
            profile=args.profile,
            log_stream=stream,
            event_stream=event_stream,
            controls=ControlAccess(enabled=args.enable_controls, token=args.control_token),
            scenario=args.scenario,
            scenario_after=args.scenario_after,
        )
    )
