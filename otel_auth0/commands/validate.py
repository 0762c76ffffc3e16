"""``otel-auth0 validate --config FILE``: check a configuration, variables resolved, without starting
anything. One line per problem, ``FILE:LINE: key: message``; exit 0 when valid, 2 otherwise. Besides the
file's own validation it runs :func:`~otel_auth0.commands.preflight.preflight`, the checks ``run`` makes
before starting (``OTEL_EXPORTER_OTLP_*``, writable paths), so it never passes what ``run`` refuses."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from otel_auth0.collector_config import load_config
from otel_auth0.commands.common import EXIT_CONFIG_ERROR
from otel_auth0.commands.preflight import preflight
from otel_auth0.config import ConfigError, Problem, key_lines


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``validate``."""
    parser = subparsers.add_parser(
        "validate",
        help="check a configuration file (variables resolved) without starting anything",
        description="Read FILE as `run` would (environment variables substituted, auth0: filled from "
        "AUTH0_DOMAIN/AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET) and report every problem on its own line as "
        "FILE:LINE: key: message, with a suggestion for a misspelt key. Exit 0 when valid, 2 otherwise.",
    )
    parser.add_argument("--config", "-c", required=True, metavar="FILE", help="YAML configuration file")
    parser.set_defaults(func=main)


def _line(lines: dict[tuple[str, ...], int], key: str) -> int | None:
    """The line of ``key`` or of its nearest ancestor present in the file."""
    path = tuple(re.sub(r"\[(\d+)\]", r".\1", key).split(".")) if key else ()
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def format_problems(path: Path, text: str, problems: list[Problem]) -> list[str]:
    """``FILE:LINE: key: message`` for each problem (``FILE:`` alone when no line applies)."""
    lines = key_lines(text)
    out = []
    for problem in problems:
        line = _line(lines, problem.key)
        where = f"{path}:{line}" if line is not None else str(path)
        out.append(
            f"{where}: {problem.key}: {problem.message}" if problem.key else f"{where}: {problem.message}"
        )
    return out


def print_problems(path: Path, problems: list[Problem]) -> None:
    """``FILE:LINE: key: message`` on stderr for each problem (``run`` prints the same lines)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        text = ""
    for line in format_problems(path, text, problems):
        print(line, file=sys.stderr)


def main(args: argparse.Namespace) -> int:
    """Entry point of ``validate``."""
    path = Path(args.config)
    try:
        config = load_config(path)
    except ConfigError as error:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            text = ""
        for line in format_problems(path, text, error.problems):
            print(line, file=sys.stderr)
        return EXIT_CONFIG_ERROR
    problems = preflight(config)
    if problems:
        print_problems(path, problems)
        return EXIT_CONFIG_ERROR
    print(f"{path}: valid")
    return 0
