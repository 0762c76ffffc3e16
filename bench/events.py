"""Realistic Auth0 events (the simulator's traffic generator, seeded) as Log Stream JSONARRAY bodies."""

from __future__ import annotations

import json
import random
from typing import Any

from otel_auth0_sim.log_ids import LogIdGenerator
from otel_auth0_sim.traffic import TrafficGenerator

TENANT = "bench-tenant"
SEED = 8
BATCH = 100


def generator(seed: int = SEED) -> TrafficGenerator:
    """The seeded traffic generator every measurement draws its events from."""
    return TrafficGenerator(TENANT, "bench", f"{TENANT}.us.auth0.com", seed=seed)


def stream_items(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """``count`` Log Stream items ``{"log_id", "data"}`` with unique, increasing log ids."""
    ids = LogIdGenerator(random.Random(seed))
    items = []
    for event in generator(seed).take(count):
        log_id = ids.next_id()
        event["log_id"] = log_id
        items.append({"log_id": log_id, "data": event})
    return items


def bodies(items: list[dict[str, Any]], batch: int = BATCH) -> list[bytes]:
    """JSONARRAY bodies of ``batch`` items each, as Auth0 posts them."""
    return [json.dumps(items[i : i + batch]).encode() for i in range(0, len(items), batch)]
