"""``otel-auth0 run --config FILE``: run the configured receivers until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from otel_auth0.auth0.tenant_identity import settle_tenant_name
from otel_auth0.collector_config import load_config
from otel_auth0.commands.common import (
    EXIT_CONFIG_ERROR,
    config_error,
    install_stop_signals,
    setup_logging,
)
from otel_auth0.commands.preflight import preflight
from otel_auth0.commands.validate import print_problems
from otel_auth0.config import Config, ConfigError
from otel_auth0.runtime import Collector
from otel_auth0.tenants import TenantsCollector


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``run``."""
    parser = subparsers.add_parser(
        "run",
        help="run the configured receivers until SIGINT/SIGTERM, then drain and flush",
        description="Run the receivers configured in FILE (logs_api, log_stream, login_probe, "
        "endpoint_check, status, notices) and export to the configured exporters. "
        "SIGINT/SIGTERM stops intake, flushes the queue within queue.shutdown_deadline and exits 0; "
        "a second signal exits at once (queued data stays on disk).",
    )
    parser.add_argument("--config", "-c", required=True, metavar="FILE", help="YAML configuration file")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    parser.set_defaults(func=main)


async def _run(collector: Collector | TenantsCollector) -> bool:
    stop = asyncio.Event()
    install_stop_signals(stop)
    return await collector.run(stop)


def main(args: argparse.Namespace) -> int:
    """Entry point of ``run``."""
    # Until the event loop takes over signal handling, a stop request simply ends start-up cleanly.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    setup_logging(args.verbose)
    try:
        config = load_config(args.config)
    except ConfigError as error:
        if not any(problem.key for problem in error.problems):
            raise config_error(error, args.config) from None
        print_problems(Path(args.config), error.problems)  # as `validate` prints them
        return EXIT_CONFIG_ERROR
    problems = preflight(config)  # the same checks as `validate`, the same lines
    if problems:
        print_problems(Path(args.config), problems)
        return EXIT_CONFIG_ERROR
    if config.tenants:
        return _run_tenants(config, args.config)
    if not config.receivers:
        raise config_error("receivers: no receiver is configured", args.config)
    if config.auth0 is not None:
        asyncio.run(settle_tenant_name(config.auth0))
    try:
        collector = Collector(config)
    except (ConfigError, ValueError) as error:
        raise config_error(error, args.config) from None
    asyncio.run(_run(collector))
    return 0


def _run_tenants(config: Config, path: str) -> int:
    """``run`` for a ``tenants:`` list (each tenant's ``auth0.tenant`` defaults to its entry's name,
    so no tenant is asked for its name at start and an unreachable one delays nobody)."""
    assert config.tenants is not None
    try:
        collector = TenantsCollector(config)
    except (ConfigError, ValueError) as error:
        raise config_error(error, path) from None
    asyncio.run(_run(collector))
    return 0
