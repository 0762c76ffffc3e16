"""``otel-auth0 demo``: the simulator plus the collector on the embedded default (OTLP-JSON file), with a
progress display and a human summary of what was exported."""

from __future__ import annotations

import argparse
import asyncio
import difflib
import logging
import secrets
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from otel_auth0.auth0.tenant_identity import settle_tenant_name
from otel_auth0.collector_config import parse_config
from otel_auth0.commands.common import EXIT_CONFIG_ERROR, CommandError, install_stop_signals, setup_logging
from otel_auth0.commands.simulate import simulator_missing
from otel_auth0.config import Config
from otel_auth0.convert.catalog import lookup
from otel_auth0.convert.cloudevents import SCOPE as EVENTS_SCOPE
from otel_auth0.detections.output import SCOPE as DETECTIONS_SCOPE
from otel_auth0.exporters.file import read_otlp_json_lines
from otel_auth0.local_ports import free_port
from otel_auth0.pipeline.intake import LOGS_SCOPE
from otel_auth0.receivers.log_ids import log_id_time
from otel_auth0.runtime import Collector

if TYPE_CHECKING:
    from otel_auth0_sim.process import SimulatorHandle

STREAM_PATH = "/auth0/logs"
EVENTS_PATH = "/auth0/events"


def scenario_names() -> tuple[str, ...] | None:
    """The simulator's scenario names, or ``None`` when the simulator extra is not installed."""
    try:
        from otel_auth0_sim.scenarios import NAMES
    except ImportError:
        return None
    return tuple(NAMES)


class _HelpWithScenarios(argparse.Action):
    """``--help`` that lists the simulator's scenarios (imported only when help is asked for)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        names = scenario_names()
        parser.epilog = (
            "scenarios: " + ", ".join(names)
            if names is not None
            else "scenarios: install the simulator extra (pip install 'otel-auth0[simulator]') to list them"
        )
        parser.print_help()
        parser.exit()


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``demo``."""
    parser = subparsers.add_parser(
        "demo",
        help="run the simulator and the collector for ~30 s, then summarise the exported telemetry",
        description="Start the Auth0 tenant simulator, run the collector against it with the OTLP-JSON file "
        "exporter, then print events by type and outcome, ingest lag and where the telemetry file is.",
        add_help=False,
    )
    parser.add_argument("-h", "--help", action=_HelpWithScenarios, help="show this help (with the scenarios)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds to run (default: %(default)s)")
    parser.add_argument(
        "--dir", type=Path, default=Path(".otel-auth0-demo"), help="working directory, recreated each run"
    )
    parser.add_argument("--events-per-second", type=float, default=20.0, help="simulated traffic rate")
    parser.add_argument(
        "--scenario",
        metavar="NAME",
        help="start this attack or failure scenario of the simulator (listed below; docs/simulator.md) a "
        "third of the way in; the summary lists the detections",
    )
    parser.add_argument(
        "--profile",
        choices=("good", "misconfigured", "large", "essentials"),
        default="good",
        help="simulated tenant profile; `large` adds 150 applications and a day of 5,400 log events",
    )
    parser.add_argument(
        "--event-stream",
        action="store_true",
        help="also receive the tenant's Auth0 Event Streams (user lifecycle CloudEvents) with the "
        "event_stream receiver (docs/event-streams.md)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    parser.set_defaults(func=main)


def demo_config(
    simulator: SimulatorHandle,
    workdir: Path,
    stream_port: int,
    stream_token: str,
    events_port: int | None = None,
) -> Config:
    """The collector configuration the demo runs: every receiver against the simulator, file exporter;
    ``events_port``: the event_stream receiver there too (same token)."""
    info = simulator.info
    events = {"listen": f"127.0.0.1:{events_port}", "path": EVENTS_PATH, "token": stream_token}
    user = next(user for user in info["test_users"] if not user.get("mfa"))
    base = simulator.base_url
    return parse_config(
        {
            "auth0": {
                "domain": info["domain"],
                "tenant": info.get("tenant_name"),  # an address names no tenant: the simulator says it
                "scheme": info["scheme"],
                "ca_file": info.get("ca_file"),
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
            },
            "state_dir": str(workdir / "state"),
            "receivers": {
                "logs_api": {"interval": "1s", "start_from": "oldest"},
                "log_stream": {
                    "listen": f"127.0.0.1:{stream_port}",
                    "path": STREAM_PATH,
                    "token": stream_token,
                },
                "login_probe": {
                    "interval": "10s",
                    "client_id": info["probe_client"]["client_id"],
                    "client_secret": info["probe_client"]["client_secret"],
                    "username": user["username"],
                    "password": user["password"],
                    "realm": info["realm"],
                    "userinfo": True,
                },
                "endpoint_check": {"interval": "10s"},
                "status": {"interval": "10s", "url": f"{base}/feeds/status.rss"},
                "notices": {
                    "interval": "10s",
                    "changelog_url": f"{base}/feeds/changelog.rss",
                    "ip_ranges_url": f"{base}/ip-ranges.json",
                    "security_bulletins_url": f"{base}/security-bulletins",
                },
                **({"event_stream": events} if events_port is not None else {}),
            },
            "exporters": {"file": {"path": str(workdir / "otel-auth0-telemetry.jsonl")}},
            "telemetry": {"metrics_interval": "2s", "listen": "127.0.0.1:0"},
        }
    )


@dataclass
class Summary:
    """What the telemetry file holds."""

    by_type_outcome: Counter[tuple[str, str]] = field(default_factory=Counter)
    other_records: Counter[str] = field(default_factory=Counter)
    spans: int = 0
    metric_names: set[str] = field(default_factory=set)
    lags: list[float] = field(default_factory=list)
    # Seconds by which events were dated before Auth0 logged them (a scenario's past attack).
    backdated: list[float] = field(default_factory=list)
    detections: list[dict[str, Any]] = field(default_factory=list)
    lifecycle: Counter[str] = field(default_factory=Counter)

    @property
    def log_records(self) -> int:
        """Number of tenant log records."""
        return sum(self.by_type_outcome.values())

    @property
    def all_records(self) -> int:
        """Every log record of the file: tenant events plus the probe's, feeds' and detections'."""
        return self.log_records + sum(self.other_records.values())


# An event dated this much before Auth0 logged it was backdated (not delayed by the collector).
BACKDATED_AFTER_S = 60.0


def _add_lag(summary: Summary, attributes: list[dict[str, Any]], record: dict[str, Any]) -> None:
    """The collector's own delay: observed time minus when Auth0 logged the event (its log id's time),
    so that events dated in the past (a replayed attack) do not read as a slow collector."""
    observed, emitted = int(record.get("observedTimeUnixNano", 0)), int(record.get("timeUnixNano", 0))
    if not observed:
        return
    logged_at = log_id_time(_attribute(attributes, "auth0.log.id"))
    logged = int(logged_at.timestamp() * 1e9) if logged_at is not None else emitted
    if not logged:
        return
    summary.lags.append(max(0.0, (observed - logged) / 1e9))
    if emitted and (age := (logged - emitted) / 1e9) > BACKDATED_AFTER_S:
        summary.backdated.append(age)


def _attribute(attributes: list[dict[str, Any]], key: str) -> str:
    for attribute in attributes:
        if attribute.get("key") == key:
            return str(next(iter(attribute.get("value", {}).values()), ""))
    return ""


def summarise(path: Path) -> Summary:
    """Read the OTLP-JSON lines file."""
    summary = Summary()
    for line in read_otlp_json_lines(path):
        for resource in line.get("resourceLogs", []):
            for scope in resource.get("scopeLogs", []):
                scope_name = scope.get("scope", {}).get("name", "")
                if scope_name == DETECTIONS_SCOPE:
                    summary.detections.extend(scope.get("logRecords", []))
                if scope_name == EVENTS_SCOPE:
                    summary.lifecycle.update(r.get("eventName", "") for r in scope.get("logRecords", []))
                if scope_name != LOGS_SCOPE:
                    summary.other_records[scope_name] += len(scope.get("logRecords", []))
                    continue
                for record in scope.get("logRecords", []):
                    attributes = record.get("attributes", [])
                    key = (
                        _attribute(attributes, "auth0.log.type"),
                        _attribute(attributes, "auth0.log.outcome"),
                    )
                    summary.by_type_outcome[key] += 1
                    _add_lag(summary, attributes, record)
        for resource in line.get("resourceSpans", []):
            for scope in resource.get("scopeSpans", []):
                summary.spans += len(scope.get("spans", []))
        for resource in line.get("resourceMetrics", []):
            for scope in resource.get("scopeMetrics", []):
                summary.metric_names.update(metric["name"] for metric in scope.get("metrics", []))
    return summary


def print_summary(
    console: Console, summary: Summary, path: Path, logged: int | None, next_config: Path
) -> None:
    """Human summary: events by type (with the catalog's label) and outcome, how the counts relate,
    lag, where the file is, and the command to run next."""
    table = Table(title="Auth0 events exported as OTLP log records")
    table.add_column("type")
    table.add_column("label")
    table.add_column("outcome")
    table.add_column("records", justify="right")
    for (log_type, outcome), count in sorted(summary.by_type_outcome.items(), key=lambda item: -item[1]):
        table.add_row(log_type, lookup(log_type).label, outcome, str(count))
    console.print(table)
    by_outcome: Counter[str] = Counter()
    for (_, outcome), count in summary.by_type_outcome.items():
        by_outcome[outcome] += count
    console.print(
        f"[bold]{summary.log_records}[/bold] tenant log records, {summary.spans} spans, "
        f"{len(summary.metric_names)} metrics; outcomes: "
        + ", ".join(f"{outcome} {count}" for outcome, count in sorted(by_outcome.items()))
    )
    if logged is not None:
        console.print(delivery_line(summary.log_records, logged))
    console.print(
        f"{summary.all_records} records in all (the progress bar's count): {summary.log_records} tenant "
        "log events"
        + "".join(f", {count} {scope_name}" for scope_name, count in sorted(summary.other_records.items()))
    )
    if summary.lifecycle:
        console.print(
            "Event Streams lifecycle events: "
            + ", ".join(f"{name} {count}" for name, count in sorted(summary.lifecycle.items()))
        )
    if summary.lags:
        console.print(
            "ingest lag (observed - when Auth0 logged the event, from its log id): "
            f"median {median(summary.lags):.2f}s, max {max(summary.lags):.2f}s"
        )
    if summary.backdated:
        console.print(
            f"{len(summary.backdated)} events were dated up to {max(summary.backdated):.0f}s before Auth0 "
            "logged them (a scenario replays an attack with past times): their age, not collection delay"
        )
    print_detections(console, summary.detections)
    console.print(f"metrics: {', '.join(sorted(summary.metric_names)) or 'none yet'}")
    console.print(f"telemetry file (OTLP-JSON lines): [bold]{path.resolve()}[/bold]")
    console.print(
        "next, against your tenant and OTLP backend (docs/configuration.md, docs/backends.md):\n"
        "  AUTH0_DOMAIN=<tenant>.us.auth0.com AUTH0_CLIENT_ID=<id> AUTH0_CLIENT_SECRET=<secret> "
        f"OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 otel-auth0 run --config {next_config.resolve()}",
        soft_wrap=True,
    )


def print_detections(console: Console, records: list[dict[str, Any]]) -> None:
    """The ``auth0.detection.*`` records: rule, severity, group and how many events contributed."""
    if not records:
        console.print("detections: none")
        return
    table = Table(title="Detections (auth0.detection.* log records, docs/detections.md)")
    for column in ("rule", "severity", "group", "events", "log ids"):
        table.add_column(column)
    for record in records:
        attributes = record.get("attributes", [])
        group = ", ".join(
            f"{item['key'].removeprefix('auth0.detection.group.')}={_attribute(attributes, item['key'])}"
            for item in attributes
            if item.get("key", "").startswith("auth0.detection.group.")
        )
        log_ids: list[Any] = next(
            (
                item["value"].get("arrayValue", {}).get("values", [])
                for item in attributes
                if item.get("key") == "auth0.detection.log_ids"
            ),
            [],
        )
        table.add_row(
            _attribute(attributes, "auth0.detection.rule.id"),
            str(record.get("severityText", "")),
            group,
            _attribute(attributes, "auth0.detection.count"),
            str(len(log_ids)),
        )
    console.print(table)


async def _start_scenario(simulator: SimulatorHandle, name: str, console: Console) -> None:
    import httpx

    console.print(f"starting scenario [bold]{name}[/bold] in the simulated tenant")
    async with httpx.AsyncClient(verify=simulator.verify, timeout=10) as client:
        response = await client.post(f"{simulator.base_url}/_sim/scenarios/{name}", json={})
    response.raise_for_status()


def save_tenant_logs(simulator: SimulatorHandle, path: Path) -> bool:
    """Write every event the simulated tenant logged (``GET /_sim/events``) to ``path``."""
    import httpx

    try:
        response = httpx.get(f"{simulator.base_url}/_sim/events", verify=simulator.verify, timeout=30)
        response.raise_for_status()
    except httpx.HTTPError:
        return False
    path.write_bytes(response.content)
    return True


def delivery_line(exported: int, logged: int) -> str:
    """How the exported records relate to what the tenant had logged when intake stopped."""
    if exported == logged:
        return f"all {logged} events the simulated tenant had logged when intake stopped were exported"
    return (
        f"{exported} of the {logged} events the simulated tenant had logged when intake stopped were "
        f"exported; the other {logged - exported} {'was' if logged - exported == 1 else 'were'} still on "
        "their way (not yet pushed or polled) when "
        "the demo stopped: a collector that keeps running reads them from its checkpoint, while each demo "
        "starts afresh"
    )


# A starting configuration for a real tenant, written next to the demo's telemetry file.
NEXT_CONFIG = """\
# otel-auth0 for your tenant: AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET (a machine-to-machine
# app with read:logs) and OTEL_EXPORTER_OTLP_ENDPOINT come from the environment. docs/configuration.md
state_dir: .otel-auth0
receivers:
  logs_api: {interval: 10s, start_from: latest}
  endpoint_check: {}
  status: {}
exporters:
  otlp: {}
"""


def _logged(simulator: SimulatorHandle) -> int | None:
    """Events the simulated tenant holds (generated traffic, the probe's logins, ...)."""
    import httpx

    try:
        stats = httpx.get(f"{simulator.base_url}/_sim/stats", verify=simulator.verify, timeout=5).json()
    except (httpx.HTTPError, ValueError):
        return None
    value = stats.get("stored")
    return int(value) if isinstance(value, int) else None


async def _run_collector(
    collector: Collector,
    duration: float,
    console: Console,
    simulator: SimulatorHandle,
    scenario: str | None = None,
) -> int | None:
    """Run for ``duration`` (starting ``scenario`` a third of the way in); returns what the tenant had
    logged when intake stopped (read right after: nothing logged later can reach the file, so the
    counts compare)."""
    stop = asyncio.Event()
    install_stop_signals(stop)
    intake = collector.pipeline.intake
    with Progress(
        TextColumn("[bold]collecting from the simulated tenant"),
        BarColumn(),
        TextColumn("{task.fields[events]} records"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("demo", total=duration, events=0)
        runner = asyncio.create_task(collector.run(stop))
        started = time.monotonic()
        while not stop.is_set() and (elapsed := time.monotonic() - started) < duration:
            progress.update(task, completed=elapsed, events=intake.accepted_total)
            if scenario is not None and elapsed >= duration / 3:
                await _start_scenario(simulator, scenario, console)
                scenario = None
            await asyncio.sleep(0.25)
        progress.update(task, completed=duration, events=intake.accepted_total)
        stop.set()
        logged = await asyncio.to_thread(_logged, simulator)
        await runner
    return logged


def main(args: argparse.Namespace) -> int:
    """Entry point of ``demo``."""
    try:
        from otel_auth0_sim.process import running_simulator
    except ImportError:
        raise simulator_missing("demo") from None
    known = scenario_names() or ()
    if args.scenario is not None and args.scenario not in known:
        close = difflib.get_close_matches(args.scenario, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise CommandError(
            f"demo: unknown scenario {args.scenario!r}; {hint}one of {', '.join(known)}", EXIT_CONFIG_ERROR
        )
    setup_logging(args.verbose)
    console = Console()
    # Log lines go through the progress display's console, above the bar, never on top of it.
    logging.getLogger().handlers[:] = [RichHandler(console=console, show_path=False, rich_tracebacks=False)]
    workdir: Path = args.dir
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    console.print(f"starting the Auth0 tenant simulator ({args.events_per_second:g} events/s) ...")
    stream_port = free_port()
    stream_token = secrets.token_urlsafe(24)
    events_port = free_port() if args.event_stream else None
    events_args = (
        [
            "--event-stream-url",
            f"http://127.0.0.1:{events_port}{EVENTS_PATH}",
            "--event-stream-token",
            stream_token,
        ]
        if events_port is not None
        else []
    )
    with running_simulator(
        "--state-dir",
        str(workdir / "simulator"),
        "--events-per-second",
        str(args.events_per_second),
        "--profile",
        args.profile,
        "--log-stream-url",
        f"http://127.0.0.1:{stream_port}{STREAM_PATH}",
        "--log-stream-token",
        stream_token,
        *events_args,
    ) as simulator:
        console.print(
            f"simulated tenant at {simulator.base_url} (TLS with its own CA), streaming its logs to "
            f"the log_stream receiver on 127.0.0.1:{stream_port} while logs_api polls as gap-filler"
        )
        config = demo_config(simulator, workdir, stream_port, stream_token, events_port)
        assert config.auth0 is not None
        asyncio.run(settle_tenant_name(config.auth0))
        collector = Collector(config)
        logged = asyncio.run(_run_collector(collector, args.duration, console, simulator, args.scenario))
        logs = workdir / "auth0-logs.json"
        saved = save_tenant_logs(simulator, logs)
    assert config.exporters.file is not None
    next_config = workdir / "otel-auth0.yaml"
    next_config.write_text(NEXT_CONFIG, encoding="utf-8")
    path = config.exporters.file.path
    print_summary(console, summarise(path), path, logged, next_config)
    if saved:
        console.print(
            f"the tenant's logs: {logs.resolve()} (replay: otel-auth0 detect {logs})", soft_wrap=True
        )
    return 0
