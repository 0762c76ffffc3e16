"""(a), (b) and (b2) measured alternately on each round of distinct events, so that load from elsewhere
on the machine hits them alike; the best round of each counts."""

from __future__ import annotations

from collections.abc import Sequence

from bench import baseline, mapping
from bench.result import Throughput


def compare(
    rounds: Sequence[Sequence[bytes]], events: int, with_detections: bool = False
) -> tuple[Throughput, ...]:
    """``(baseline, mapping)`` throughput over ``rounds`` of ``events`` events each, and with
    ``with_detections`` also mapping with the default detection rules."""
    measures = [
        lambda bodies: baseline.measure([bodies], events),
        lambda bodies: mapping.measure([bodies], events),
    ]
    if with_detections:
        measures.append(lambda bodies: mapping.measure([bodies], events, detections=True))
    best = [Throughput(events, float("inf"))] * len(measures)
    for bodies in rounds:
        for index, measure in enumerate(measures):
            best[index] = min(best[index], measure(bodies), key=lambda t: t.seconds)
    return tuple(best)
