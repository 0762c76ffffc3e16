"""``python -m bench`` (``make bench``): every measurement in one run on one core, a table on the
terminal and ``bench/results.json``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console

from bench import memory, pipeline, poller, scaling, state_backends
from bench.compare import compare
from bench.events import SEED, bodies, stream_items
from bench.machine import machine_info, pin_to_core
from bench.report import render, summary

RESULTS = Path(__file__).resolve().parent / "results.json"
ROUNDS = 5
T = TypeVar("T")


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--core", type=int, default=None, help="CPU core to pin to (default: the lowest)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="results file (default: %(default)s)")
    parser.add_argument("--events", type=int, default=10_000, help="events for (a) and (b)")
    parser.add_argument("--pipeline-seconds", type=float, default=20.0, help="sustained load for (c)")
    parser.add_argument("--rate-limit", type=int, default=5, help="simulator Management API limit R for (d)")
    parser.add_argument("--poller-seconds", type=float, default=20.0, help="backlog size for (d), in seconds")
    parser.add_argument("--queued", type=int, default=1_000_000, help="events queued for (e)")
    parser.add_argument("--drain-seconds", type=float, default=90.0, help="longest drain watched in (e)")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    """Run (a) to (e) and the size scaling; the results document."""
    core = pin_to_core(args.core)
    results: dict[str, Any] = {"machine": machine_info(core)}

    def step(title: str, measure: Callable[[], T]) -> T:
        with console.status(f"[bold]{title}…"):
            value = measure()
        console.log(f"{title}: done")
        return value

    item_sets = [stream_items(args.events, seed=SEED + round_) for round_ in range(ROUNDS)]
    rounds = [bodies(items) for items in item_sets]
    a, b, d = step(
        "(a) baseline, (b) mapping + encode, (b2) with detections, alternating rounds",
        lambda: compare(rounds, args.events, with_detections=True),
    )
    results["baseline"] = {"events_per_s": round(a.per_second, 1), "events": a.events, "rounds": ROUNDS}
    results["mapping"] = {"events_per_s": round(b.per_second, 1), "events": b.events, "rounds": ROUNDS}
    results["detections"] = {"events_per_s": round(d.per_second, 1), "events": d.events, "rounds": ROUNDS}
    scaling_sets = [items[:2000] for items in item_sets]
    results["size_scaling"] = step("event size scaling", lambda: scaling.measure(scaling_sets))
    with tempfile.TemporaryDirectory(prefix="otel-auth0-bench-") as tmp:
        work = Path(tmp)
        for name in ("pipeline", "pipeline_detections", "poller", "memory", "state_backends"):
            (work / name).mkdir()
        results["pipeline"] = step(
            "(c) full pipeline: log_stream → queue → OTLP/HTTP",
            lambda: pipeline.measure(work / "pipeline", seconds=args.pipeline_seconds),
        )
        results["pipeline_detections"] = step(
            "(c2) full pipeline with the default detection rules",
            lambda: pipeline.measure(
                work / "pipeline_detections", seconds=args.pipeline_seconds, detections=True
            ),
        )
        results["poller"] = step(
            "(d) poller catch-up against the rate limit",
            lambda: poller.measure(work / "poller", args.rate_limit, args.poller_seconds),
        )
        results["memory"] = step(
            f"(e) memory with {args.queued:,} events queued",
            lambda: memory.measure(work / "memory", args.queued, drain_seconds=args.drain_seconds),
        )
        results["state_backends"] = step(
            "(f) state store writes: SQLite, PostgreSQL from 1, 2, 3 replicas",
            lambda: state_backends.measure(work / "state_backends"),
        )
    return {**summary(results), **results}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = _parse_args(argv)
    # (b2) logs every detection at WARNING, as the collector does (the bench dates all its events within
    # seconds, so brute-force rules fire): the records are made, but not printed over the table.
    logging.basicConfig(handlers=[logging.NullHandler()])
    console = Console()
    results = run(args, console)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    console.print(render(results))
    console.print(f"results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
