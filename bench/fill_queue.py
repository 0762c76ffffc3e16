"""``python -m bench.fill_queue --config FILE --events N``: put ``N`` converted events (unique keys) into
the persistent queue of ``FILE``'s ``state_dir``, fast: a pool of realistic events is converted once and
its records are re-enqueued under fresh keys, in batches, through the queue the collector will open."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.events import stream_items
from otel_auth0.collector_config import load_config
from otel_auth0.convert.events import normalize_event
from otel_auth0.pipeline.intake import LOGS_SCOPE
from otel_auth0.runtime import build_converter, build_exporters
from otel_auth0.state.queue import PersistentQueue

BATCH = 100


def fill(config_path: Path, events: int, pool: int = 2000) -> dict[str, float]:
    """Enqueue ``events`` events; how many records that made and how long it took."""
    config = load_config(config_path)
    mask = 0
    for exporter in build_exporters(config):
        mask |= exporter.bit
    converter = build_converter(config)
    converted = [converter.convert(normalize_event(item)) for item in stream_items(pool)]
    queue = PersistentQueue.in_state_dir(config.state_dir, mask, config.queue, config.processors.dedupe)
    started = time.perf_counter()
    for first in range(0, events, BATCH):
        batch = [
            converted[index % pool]._replace(key=f"bench-{index}")
            for index in range(first, min(events, first + BATCH))
        ]
        queue.enqueue(batch, LOGS_SCOPE)
    records = queue.size
    queue.close()
    return {"events": events, "records": records, "seconds": time.perf_counter() - started}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.fill_queue", description=__doc__)
    parser.add_argument("--config", required=True, type=Path, help="the collector's configuration file")
    parser.add_argument("--events", required=True, type=int, help="how many events to enqueue")
    args = parser.parse_args(argv)
    print(json.dumps(fill(args.config, args.events)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
