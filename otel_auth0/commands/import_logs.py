"""``otel-auth0 import [--config FILE [--tenant NAME]] FILE...``: backfill archived Auth0 logs through
the same mapping, queue and exporters as live data (JSON arrays, JSON lines, Log-Stream items, saved
Management-API pages; ``-`` reads stdin). A file with a malformed item is rejected whole, so nothing of
it is half-imported. With a ``tenants:`` file the logs go to the one tenant ``--tenant`` names: its
queue and dedupe index, under its resource, as ``run`` serves it."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

from otel_auth0.collector_config import parse_config
from otel_auth0.commands.archived_logs import add_files_argument, readable_files
from otel_auth0.commands.common import load_or_exit, setup_logging
from otel_auth0.commands.tenant_option import add_tenant_argument, chosen_tenant
from otel_auth0.config import Config
from otel_auth0.convert.events import Event
from otel_auth0.convert.wire import AttributeValue
from otel_auth0.runtime import Pipeline
from otel_auth0.state.queue import EnqueueResult, QueueFull
from otel_auth0.tenants import tenant_attributes

CHUNK = 500
QUEUE_FULL_WAIT = 0.5


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``import``."""
    parser = subparsers.add_parser(
        "import",
        help="send Auth0 logs from files through the mapping, queue and exporters (backfill archives)",
        description="Read Auth0 tenant logs from FILEs (a JSON array of events, JSON lines, Log-Stream items "
        '{"log_id": ..., "data": {...}}, or saved Management-API pages; - = stdin), convert and export them. '
        "log_ids already emitted (within the dedupe window of state_dir) are skipped.",
    )
    add_files_argument(parser)
    parser.add_argument(
        "--config", "-c", metavar="FILE", help="YAML configuration (exporters, state_dir, ...)"
    )
    add_tenant_argument(parser, "a file with a tenants: list is refused (the logs are one tenant's)")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait for the exporters to acknowledge (300)"
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    parser.set_defaults(func=main)


@dataclass
class ImportSummary:
    """What an import did."""

    events: int = 0
    enqueued: int = 0
    duplicates: int = 0
    rejected_files: int = 0


def _submit(pipeline: Pipeline, events: list[Event]) -> EnqueueResult:
    """Enqueue, waiting while the queue is full (the exporters are draining it)."""
    while True:
        try:
            return pipeline.intake.submit_events(events, "import")
        except QueueFull:
            time.sleep(QUEUE_FULL_WAIT)


def import_files(
    config: Config,
    files: list[str],
    timeout: float,
    attributes: dict[str, AttributeValue] | None = None,
) -> tuple[ImportSummary, bool]:
    """Import ``files`` (under the resource ``attributes``, else ``config``'s); returns the summary and
    whether everything was delivered before ``timeout``."""
    summary = ImportSummary()

    def skipped(name: str, error: Exception) -> None:
        print(f"otel-auth0 import: {name}: {error}; file skipped, nothing of it imported", file=sys.stderr)
        summary.rejected_files += 1

    pipeline = Pipeline.create(config, attributes=attributes)
    pipeline.start()
    try:
        for events in readable_files(files, skipped):
            summary.events += len(events)
            for start in range(0, len(events), CHUNK):
                result = _submit(pipeline, events[start : start + CHUNK])
                summary.enqueued += result.accepted
                summary.duplicates += result.duplicates
    finally:
        delivered = pipeline.drain_and_close(timeout)
    return summary, delivered


def main(args: argparse.Namespace) -> int:
    """Entry point of ``import``."""
    setup_logging(args.verbose)
    tenant = chosen_tenant(args, load_or_exit(args.config) if args.config else None)
    config = tenant.config if tenant is not None else parse_config({})
    attributes = None
    if tenant is not None and tenant.entry is not None:
        attributes = tenant_attributes(config, tenant.entry)  # the resource `run` gives this tenant
    summary, delivered = import_files(config, args.files, args.timeout, attributes)
    print(
        f"{tenant.label() if tenant else ''}imported {summary.enqueued} events "
        f"({summary.duplicates} already emitted, skipped) "
        f"from {len(args.files) - summary.rejected_files} of {len(args.files)} files"
    )
    if not delivered:
        print(
            f"otel-auth0 import: exporters did not acknowledge everything within {args.timeout:.0f}s; "
            f"the rest stays queued in {config.state_dir} and is sent by the next run or import",
            file=sys.stderr,
        )
        return 1
    return 1 if summary.rejected_files else 0
