"""``otel-auth0 scan --since 24h [--config FILE [--tenant NAME] | FILE...] [--timeout 10m] [--json]``:
scan tenant logs for rate-limit events, authentication failures, Management API failures, email
delivery failures, deprecation notices and warnings; exit 1 when a threshold is exceeded, 3 when part
of the window could not be read (rate limits, failures or --timeout), naming that part. With a
``tenants:`` file and no ``--tenant``, every tenant in turn, each report under its tenant's name."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from otel_auth0.auth0.log_window import read_window
from otel_auth0.auth0.management import Auth0Error
from otel_auth0.auth0.sdk import SdkSession
from otel_auth0.collector_config import parse_config
from otel_auth0.commands.common import EXIT_CONFIG_ERROR, CommandError, load_or_exit
from otel_auth0.commands.tenant_option import add_tenant_argument, chosen_tenants
from otel_auth0.config import Config, ConfigError, ReadinessThresholds, fill_auth0_from_env, parse_duration
from otel_auth0.convert.events import EventFormatError
from otel_auth0.readiness.scan import (
    GROUPS,
    Group,
    ScanReport,
    breaches,
    read_event_files,
    summarize,
    summarize_window,
)
from otel_auth0.readiness.target import ReadinessTarget, TargetError
from otel_auth0.tenant_choice import ChosenTenant

EXIT_THRESHOLD = 1
EXIT_INCOMPLETE = 3
# Exit codes from the worst down: the code of a scan of every tenant is its worst tenant's.
SEVERITY = (EXIT_CONFIG_ERROR, EXIT_INCOMPLETE, EXIT_THRESHOLD, 0)
TOP = 10


def _since(text: str) -> timedelta:
    try:
        return timedelta(seconds=parse_duration(text))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``scan``."""
    parser = subparsers.add_parser(
        "scan",
        help="scan tenant logs for rate-limit events and failures; exit 1 over thresholds",
        description="Read every tenant log event of the last --since (Management API with --config, or "
        "saved FILEs in any format `otel-auth0 import` reads) and report rate-limit events, authentication "
        "failures by error, Management API failures, email delivery failures, deprecation notices and "
        "warnings, grouped by type, client, connection, IP and hour. Thresholds come from "
        "readiness.thresholds of --config; exit 1 when one is exceeded, 3 when rate limits, failures or "
        "--timeout left part of the window unread (the part is named).",
    )
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE", help="saved logs instead of the API")
    parser.add_argument(
        "--config",
        "-c",
        metavar="FILE",
        help="YAML configuration (auth0:, readiness.thresholds); without it and FILEs, AUTH0_DOMAIN, "
        "AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET name the tenant",
    )
    add_tenant_argument(parser, "every tenant in turn (--timeout applies to each)")
    parser.add_argument(
        "--since", type=_since, default=timedelta(hours=24), help="window, e.g. 1h, 24h, 7d (24h)"
    )
    parser.add_argument(
        "--timeout", type=_since, default=timedelta(minutes=10), help="stop reading after this long (10m)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.set_defaults(func=main)


def _config_from_environment() -> Config | None:
    """A configuration of ``auth0:`` from ``AUTH0_*`` alone (None when ``AUTH0_DOMAIN`` is unset)."""
    data = fill_auth0_from_env({})
    if "auth0" not in data:
        return None
    try:
        return parse_config(data)
    except ConfigError as error:
        raise CommandError(f"configuration error (AUTH0_* variables): {error}", EXIT_CONFIG_ERROR) from None


def _report(args: argparse.Namespace, config: Config | None, since: datetime) -> ScanReport:
    if args.files:
        return summarize(read_event_files(args.files), since)
    if config is None:
        raise CommandError(
            "give --config or AUTH0_DOMAIN/AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET (to read the tenant through "
            "the Management API), or FILEs",
            EXIT_CONFIG_ERROR,
        )
    target = ReadinessTarget(config, Path(args.config).resolve() if args.config else None)
    deadline = time.monotonic() + args.timeout.total_seconds()
    until = datetime.now(UTC)

    def scan(session: SdkSession) -> ScanReport:
        report = summarize_window(read_window(session, since, until, deadline))
        report.retries, report.waited = session.stats.retries, session.stats.waited
        return report

    return target.with_client(scan, deadline)


def _table(title: str, group: Group) -> Table:
    table = Table(title=f"{title}: {group.total}", title_justify="left")
    table.add_column("group")
    table.add_column("value")
    table.add_column("count", justify="right")
    for name in GROUPS:
        for value, count in group.by[name].most_common(TOP):
            table.add_row(name, value, str(count))
    return table


def _print(report: ScanReport, problems: list[str], tenant: ChosenTenant | None) -> None:
    console = Console()
    if tenant is not None and tenant.name is not None:
        auth0 = tenant.config.auth0
        console.print(f"[bold]tenant {tenant.name}[/] ({auth0.domain if auth0 else 'no auth0 section'})")
    console.print(f"{report.events} log events read, {report.span()}")
    if report.retries:
        console.print(
            f"{report.retries} answers (429 / 5xx) waited out and retried, {report.waited:.0f}s waited"
        )
    unread = report.unread()
    if unread:
        console.print(f"[bold red]incomplete:[/] {unread}")
    for title, group in (
        ("Rate-limit events", report.rate_limit),
        ("Authentication failures", report.auth_failures),
        ("Management API failures", report.management_failures),
        ("Email delivery failures", report.email_failures),
        ("Deprecation notices", report.deprecations),
        ("Warnings", report.warnings),
    ):
        if group.total:
            console.print(_table(title, group))
        else:
            console.print(f"{title}: none")
    label = tenant.label() if tenant is not None else ""
    for line in problems:
        console.print(f"[bold red]threshold exceeded:[/] {label}{line}")


def _scan(
    args: argparse.Namespace,
    config: Config | None,
    since: datetime,
    thresholds: ReadinessThresholds,
    tenant: ChosenTenant | None = None,
) -> tuple[int, dict[str, Any]]:
    """Scan FILEs or the tenant of ``config`` (``tenant``: the ``tenants:`` entry it is), printing the
    tables unless ``--json``; the exit code and the JSON object (``error`` when nothing was read)."""
    label = tenant.label() if tenant is not None else ""
    named = {"tenant": tenant.name} if tenant is not None and tenant.name is not None else {}
    try:
        report = _report(args, config, since)
    except (Auth0Error, TargetError) as error:
        message = f"cannot read the tenant's logs: {error}"
        print(f"otel-auth0 scan: {label}{message}", file=sys.stderr)
        return EXIT_CONFIG_ERROR, {**named, "error": message}
    problems = breaches(report, thresholds)
    if not args.json:
        _print(report, problems, tenant)
    unread = report.unread()
    if unread:
        print(f"otel-auth0 scan: {label}incomplete: {unread}", file=sys.stderr)
    code = EXIT_INCOMPLETE if unread else EXIT_THRESHOLD if problems else 0
    return code, {**named, **report.as_json(), "thresholds_exceeded": problems}


def _result(code: int, body: dict[str, Any]) -> str:
    """One tenant's outcome in a word or a line, for the closing table."""
    if "error" in body:
        return str(body["error"])
    if code == EXIT_INCOMPLETE:
        return "incomplete: " + str(body["unread"])
    exceeded = len(body["thresholds_exceeded"])
    return f"{exceeded} threshold{'s' if exceeded != 1 else ''} exceeded" if exceeded else "ok"


def _scan_every_tenant(
    args: argparse.Namespace, tenants: list[ChosenTenant], since: datetime, thresholds: ReadinessThresholds
) -> int:
    """Scan each tenant in turn (one failing tenant stops none of the others); the worst exit code."""
    outcomes = [_scan(args, tenant.config, since, thresholds, tenant) for tenant in tenants]
    if args.json:
        print(json.dumps({"tenants": [body for _, body in outcomes]}, indent=2))
    else:
        title = f"{len(tenants)} tenant{'s' if len(tenants) != 1 else ''}"
        table = Table(title=title, title_justify="left")
        for column in ("tenant", "log events", "result"):
            table.add_column(column, justify="right" if column == "log events" else "left")
        for code, body in outcomes:
            table.add_row(str(body["tenant"]), str(body.get("events", "-")), _result(code, body))
        Console().print(table)
    return min((code for code, _ in outcomes), key=SEVERITY.index)


def main(args: argparse.Namespace) -> int:
    """Entry point of ``scan``."""
    since = datetime.now(UTC) - args.since
    config = load_or_exit(args.config) if args.config else _config_from_environment()
    tenants = chosen_tenants(args, config)
    thresholds = config.readiness.thresholds if config and config.readiness else ReadinessThresholds()
    if not args.files and config is not None and config.tenants is not None and args.tenant is None:
        return _scan_every_tenant(args, tenants, since, thresholds)
    tenant = tenants[0] if tenants and not args.files else None
    try:
        code, body = _scan(args, tenant.config if tenant else config, since, thresholds, tenant)
    except (OSError, UnicodeDecodeError, EventFormatError) as error:
        print(f"otel-auth0 scan: {error}; nothing scanned", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    if args.json and "error" not in body:
        print(json.dumps(body, indent=2))
    return code
