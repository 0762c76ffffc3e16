"""``otel-auth0 simulate``: the Auth0 tenant simulator, from the separately installed simulator package."""

from __future__ import annotations

import argparse

from otel_auth0.commands.common import EXIT_CONFIG_ERROR, CommandError

SIMULATOR_EXTRA = "otel-auth0[simulator]"


def simulator_missing(command: str) -> CommandError:
    """The error (exit 2) of a command that needs the simulator package when it is not installed."""
    return CommandError(
        f"`otel-auth0 {command}` needs the tenant simulator, which is not installed; "
        f"install it with: pip install '{SIMULATOR_EXTRA}'",
        EXIT_CONFIG_ERROR,
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``simulate``; without the simulator package it only explains how to install it."""
    try:
        from otel_auth0_sim.cli import add_arguments, run_from_args
    except ImportError:
        # Every argument, options included, is accepted so that the missing package is what gets reported.
        stub = subparsers.add_parser(
            "simulate", help="run an Auth0 tenant simulator (not installed)", prefix_chars="\0"
        )
        stub.add_argument("ignored", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        stub.set_defaults(func=_not_installed)
        return
    parser = subparsers.add_parser(
        "simulate",
        help="run an Auth0 tenant simulator (token endpoint, logs API, traffic, Log Stream push)",
        description="Run a local HTTP(S) server that behaves like an Auth0 tenant. Prints one JSON line "
        '({"domain", "scheme", "ca_file", "client_id", "client_secret"}) on stdout once it listens. '
        f"Needs the simulator package ({SIMULATOR_EXTRA}).",
    )
    add_arguments(parser)
    parser.set_defaults(func=run_from_args)


def _not_installed(_args: argparse.Namespace) -> int:
    raise simulator_missing("simulate")
