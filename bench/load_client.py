"""Sustained Log Stream load: ``python -m bench.load_client --url URL --seconds S`` posts JSONARRAY
batches of realistic events (unique log ids) from ``--concurrency`` connections and prints one JSON
line: events sent and accepted, request count, statuses and request latency percentiles."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import httpx

from bench.events import stream_items
from bench.result import percentile
from otel_auth0_sim.log_ids import LogIdGenerator

_PLACEHOLDER = b"@@LOG_ID@@"


class Batches:
    """Bodies built from a pool of pre-serialised events, each with fresh, increasing log ids."""

    def __init__(self, pool: int, batch: int, seed: int) -> None:
        templates = []
        for item in stream_items(pool, seed):
            item["log_id"] = item["data"]["log_id"] = _PLACEHOLDER.decode()
            templates.append(json.dumps(item).encode())
        self._templates = templates
        self.size = batch
        self._next = 0
        self._ids = LogIdGenerator()

    def body(self) -> bytes:
        """The next JSONARRAY body."""
        parts = []
        for _ in range(self.size):
            template = self._templates[self._next % len(self._templates)]
            self._next += 1
            parts.append(template.replace(_PLACEHOLDER, self._ids.next_id().encode()))
        return b"[" + b",".join(parts) + b"]"


async def _worker(
    client: httpx.AsyncClient, url: str, batches: Batches, deadline: float, out: dict[str, Any]
) -> None:
    while time.monotonic() < deadline:
        body = batches.body()
        started = time.perf_counter()
        try:
            response = await client.post(url, content=body)
        except httpx.HTTPError as error:
            out["statuses"][type(error).__name__] += 1
            await asyncio.sleep(0.1)
            continue
        out["latencies"].append(time.perf_counter() - started)
        out["statuses"][str(response.status_code)] += 1
        out["sent"] += batches.size
        if response.status_code == 200:
            out["accepted"] += int(response.json().get("accepted", 0))
        else:
            await asyncio.sleep(0.1)


async def run(
    url: str, token: str, seconds: float, batch: int, concurrency: int, pool: int
) -> dict[str, Any]:
    """Post for ``seconds``; the summary."""
    batches = Batches(pool, batch, seed=1)
    out: dict[str, Any] = {"sent": 0, "accepted": 0, "latencies": [], "statuses": Counter()}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=60.0) as client:
        started_at, cpu_started = time.time(), time.process_time()
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_worker(client, url, batches, deadline, out) for _ in range(concurrency)))
        finished_at = time.time()
    latencies: list[float] = out["latencies"]
    return {
        "events_sent": out["sent"],
        "events_accepted": out["accepted"],
        "requests": len(latencies),
        "statuses": dict(out["statuses"]),
        "started_at": started_at,
        "finished_at": finished_at,
        "cpu_seconds": time.process_time() - cpu_started,
        "latency_p50_s": percentile(latencies, 0.50),
        "latency_p99_s": percentile(latencies, 0.99),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.load_client", description=__doc__)
    parser.add_argument("--url", required=True, help="the log_stream webhook URL")
    parser.add_argument("--token", default="", help="the log_stream token")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to post")
    parser.add_argument("--batch", type=int, default=100, help="events per POST")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent connections")
    parser.add_argument("--pool", type=int, default=2000, help="distinct event templates")
    args = parser.parse_args(argv)
    summary = asyncio.run(run(args.url, args.token, args.seconds, args.batch, args.concurrency, args.pool))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
