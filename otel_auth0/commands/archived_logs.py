"""Archived Auth0 logs as ``import`` and ``detect`` read them: the FILE arguments and their events
(JSON arrays, JSON lines, Log-Stream items, saved Management-API pages; ``-`` is stdin)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from otel_auth0.convert.events import Event, EventFormatError, iter_json_items, normalize_event


def add_files_argument(parser: argparse.ArgumentParser) -> None:
    """The positional ``FILE...`` arguments (``files``)."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="input files, - for stdin")


def read_events(name: str) -> list[Event]:
    """All events of one input, or :class:`EventFormatError` naming the first bad item."""
    text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    events: list[Event] = []
    for index, item in enumerate(iter_json_items(text)):
        try:
            events.append(normalize_event(item))
        except EventFormatError as error:
            raise EventFormatError(f"item {index}: {error}") from None
    return events


def readable_files(files: list[str], skipped: Callable[[str, Exception], None]) -> Iterator[list[Event]]:
    """The events of each of ``files`` that reads whole; ``skipped(name, error)`` for each that does not."""
    for name in files:
        try:
            events = read_events(name)
        except (OSError, UnicodeDecodeError, EventFormatError) as error:
            skipped(name, error)
            continue
        yield events
