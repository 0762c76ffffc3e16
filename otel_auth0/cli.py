"""The ``otel-auth0`` command line: one sub-command per module in :mod:`otel_auth0.commands`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from otel_auth0 import __version__
from otel_auth0.commands.common import CommandError
from otel_auth0.state.files import EXIT_STATE_ERROR, StateError

# Each module exposes ``register(subparsers)`` that adds its parser and sets ``func``
# (``func(args) -> int`` returns the exit code; an expected failure raises ``CommandError``).
COMMAND_MODULES = (
    "otel_auth0.commands.run",
    "otel_auth0.commands.simulate",
    "otel_auth0.commands.import_logs",
    "otel_auth0.commands.detect",
    "otel_auth0.commands.probe",
    "otel_auth0.commands.demo",
    "otel_auth0.commands.readiness",
    "otel_auth0.commands.scan",
    "otel_auth0.commands.validate",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="otel-auth0",
        description="Auth0 tenant logs, synthetic logins, status and notices as OpenTelemetry; "
        "production-readiness gates; an Auth0 tenant simulator.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
    except CommandError as error:
        print(f"otel-auth0: {error}", file=sys.stderr)
        return error.exit_code
    except StateError as error:
        print(f"otel-auth0: {error}", file=sys.stderr)
        return EXIT_STATE_ERROR
    return result


if __name__ == "__main__":
    sys.exit(main())
