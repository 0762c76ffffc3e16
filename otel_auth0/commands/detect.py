"""``otel-auth0 detect FILE... [--rules FILE] [--json]``: replay archived Auth0 logs (the formats
``otel-auth0 import`` reads) through the detection engine of the live pipeline and print what fires,
for tuning rules and for incident review. Nothing is exported and no state is written.

Events are taken once per ``log_id`` (as the queue's dedupe does) in the order of their ``date``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from otel_auth0.commands.archived_logs import add_files_argument, readable_files
from otel_auth0.config import DetectionsConfig
from otel_auth0.convert.events import Event
from otel_auth0.convert.mapping import EventConverter
from otel_auth0.detections.engine import Detection, DetectionEngine, Observed, event_time
from otel_auth0.detections.loader import RuleFileError, load_rules

EXIT_RULES_ERROR = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``detect``."""
    parser = subparsers.add_parser(
        "detect",
        help="replay archived Auth0 logs through the detection rules and print the detections",
        description="Read Auth0 tenant logs from FILEs (as `otel-auth0 import` does; - = stdin), run the "
        "default detection rules and those of --rules FILEs over them, and print every detection as a table "
        "or, with --json, as a JSON array.",
    )
    add_files_argument(parser)
    parser.add_argument(
        "--rules",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="a rule file of your own (docs/detections.md); repeatable; same ids replace default rules",
    )
    parser.add_argument("--no-default-rules", action="store_true", help="only the rules of --rules files")
    parser.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    parser.set_defaults(func=main)


def collect_events(files: list[str]) -> tuple[list[Event], list[str]]:
    """Events of every readable file, once per log_id, ordered by date; and the errors of the others."""
    events: list[Event] = []
    errors: list[str] = []
    seen: set[str] = set()
    for items in readable_files(files, lambda name, error: errors.append(f"{name}: {error}; file skipped")):
        for event in items:
            log_id = event.get("log_id")
            if isinstance(log_id, str):
                if log_id in seen:
                    continue
                seen.add(log_id)
            events.append(event)
    now = time.time()
    events.sort(key=lambda event: event_time(event, now))
    return events, errors


def detect(events: list[Event], engine: DetectionEngine) -> list[Detection]:
    """Run ``engine`` over ``events`` in order, with the span ids the live pipeline derives."""
    converter = EventConverter()
    now = time.time()
    detections: list[Detection] = []
    for event in events:
        converted = converter.convert(event)
        facts = converted.facts
        observed = Observed(
            event,
            trace_id=converted.trace_id,
            span_id=converted.span_id,
            time_ns=facts.time_ns if facts is not None else None,
        )
        detections.extend(engine.process(observed, now))
    return detections


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def print_table(console: Console, detections: list[Detection], events: int) -> None:
    """The detections as a table (the contributing log ids are in ``--json``)."""
    table = Table(title=f"Detections in {events} events")
    for column in ("time (UTC)", "rule", "severity", "group", "count", "window", "log ids"):
        numeric = column in ("count", "window", "log ids")
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for detection in detections:
        table.add_row(
            _when(detection.time),
            detection.rule.id,
            detection.severity,
            ", ".join(f"{k}={v}" for k, v in detection.group.items()),
            str(detection.count),
            f"{detection.window:g}s" if detection.window else "",
            str(len(detection.log_ids)),
        )
    console.print(table)
    console.print(f"{len(detections)} detections")


def main(args: argparse.Namespace) -> int:
    """Entry point of ``detect``."""
    settings = DetectionsConfig()
    try:
        rules = load_rules(args.rules, not args.no_default_rules)
    except RuleFileError as error:
        print(f"otel-auth0 detect: {error}", file=sys.stderr)
        return EXIT_RULES_ERROR
    engine = DetectionEngine(rules, settings.max_groups, settings.max_log_ids)
    events, errors = collect_events(args.files)
    for problem in errors:
        print(f"otel-auth0 detect: {problem}", file=sys.stderr)
    detections = detect(events, engine)
    if args.json:
        print(json.dumps([detection.as_json() for detection in detections], indent=2))
    else:
        print_table(Console(), detections, len(events))
    return 1 if errors else 0
