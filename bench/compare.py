"""(a) and (b) measured alternately on each round of distinct events, so that load from elsewhere on
the machine hits both alike; the best round of each counts."""

from __future__ import annotations

from collections.abc import Sequence

from bench import baseline, mapping
from bench.result import Throughput


def compare(rounds: Sequence[Sequence[bytes]], events: int) -> tuple[Throughput, Throughput]:
    """``(baseline, mapping)`` throughput over ``rounds`` of ``events`` events each."""
    best_a = best_b = Throughput(events, float("inf"))
    for bodies in rounds:
        a = baseline.measure([bodies], events)
        b = mapping.measure([bodies], events)
        best_a = min(best_a, a, key=lambda t: t.seconds)
        best_b = min(best_b, b, key=lambda t: t.seconds)
    return best_a, best_b
