"""How the cost per event grows with event size: (a) and (b) on the same events with ``details``
padded by a string of 0, 1, 4 and 16 KiB."""

from __future__ import annotations

import copy
from typing import Any

from bench.compare import compare
from bench.events import bodies

PADDING_KIB = (0, 1, 4, 16)


def _padded(items: list[dict[str, Any]], kib: int) -> list[dict[str, Any]]:
    out = copy.deepcopy(items)
    for item in out:
        details = item["data"].setdefault("details", {})
        if isinstance(details, dict) and kib:
            details["padding"] = "x" * (kib * 1024)
    return out


def measure(item_sets: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per padding: body bytes per event and microseconds per event for (a) and (b) (see
    :func:`~bench.compare.compare`; one round per set of distinct items)."""
    rows = []
    count = len(item_sets[0])
    for kib in PADDING_KIB:
        padded = [bodies(_padded(items, kib)) for items in item_sets]
        a, b = compare(padded, count)
        rows.append(
            {
                "padding_kib": kib,
                "bytes_per_event": round(sum(len(body) for body in padded[0]) / count),
                "baseline_us_per_event": round(1e6 / a.per_second, 1),
                "mapping_us_per_event": round(1e6 / b.per_second, 1),
                "mapping_ratio": round(b.per_second / a.per_second, 3),
            }
        )
    return rows
