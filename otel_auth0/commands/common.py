"""Helpers shared by sub-commands: loading configuration with exit code 2, logging, signals."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
import sys
from pathlib import Path

from otel_auth0.collector_config import load_config
from otel_auth0.config import Config, ConfigError

EXIT_CONFIG_ERROR = 2
EXIT_INTERRUPTED = 130


class CommandError(Exception):
    """An expected failure: ``cli.main`` prints it as one line and exits with its code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def config_error(problem: object, path: Path | str | None = None) -> CommandError:
    """A configuration problem (in the file ``path``): exit code 2."""
    where = f" in {path}" if path is not None else ""
    return CommandError(f"configuration error{where}: {problem}", EXIT_CONFIG_ERROR)


def require_extra(command: str, extra: str, *modules: str) -> None:
    """:class:`CommandError` (exit 2) naming ``otel-auth0[extra]`` when one of ``modules`` is missing."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            raise CommandError(
                f"`otel-auth0 {command}` needs the {extra} extra (module {error.name or module} is missing): "
                f"pip install 'otel-auth0[{extra}]'",
                EXIT_CONFIG_ERROR,
            ) from None


def load_or_exit(path: Path | str) -> Config:
    """Load a configuration file; a problem becomes :class:`CommandError` with exit code 2."""
    try:
        return load_config(path)
    except ConfigError as error:
        raise config_error(error, path) from None


def setup_logging(verbose: bool = False) -> None:
    """Log to stderr; ``OTEL_AUTH0_LOG_LEVEL`` or ``--verbose`` raise the detail."""
    level = os.environ.get("OTEL_AUTH0_LOG_LEVEL", "DEBUG" if verbose else "INFO").upper()
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def install_stop_signals(stop: asyncio.Event) -> None:
    """First SIGINT/SIGTERM sets ``stop`` (graceful drain); a second one exits at once.

    Exiting at once is safe: every queue write is a complete SQLite transaction."""
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        if stop.is_set():
            logging.getLogger(__name__).warning("second signal: exiting now; queued data is kept on disk")
            os._exit(EXIT_INTERRUPTED)
        logging.getLogger(__name__).info(
            "%s received: stopping intake and flushing", signal.Signals(signum).name
        )
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
