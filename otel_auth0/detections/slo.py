"""The login SLO as the detection engine sees it: for every burn-rate rule (docs/operations.md, "The
login SLO"), the runs and bad runs in each window, the error ratio, the burn rate and the error budget
left over the longest window. For the status page and the CLI; Prometheus has the same figures as
recording rules (deploy/prometheus/slo.yml)."""

from __future__ import annotations

import math
from typing import Any

from otel_auth0.detections.engine import DetectionEngine
from otel_auth0.detections.state import BurnRateState


def slo_status(engine: DetectionEngine) -> list[dict[str, Any]]:
    """One entry per burn-rate rule and group that has seen events, newest bucket as "now"."""
    status = []
    for (rule_id, group), state in engine.groups.items():
        if not isinstance(state, BurnRateState) or not state.buckets:
            continue
        rule = engine.rules[rule_id]
        spec = state.spec
        budget = 1 - spec.objective
        now = max(state.buckets)
        windows = []
        for span in sorted({w.long for w in spec.windows} | {w.short for w in spec.windows}):
            first = now - math.ceil(span / state.width) + 1
            total = sum(c[0] for i, c in state.buckets.items() if i >= first)
            bad = sum(c[1] for i, c in state.buckets.items() if i >= first)
            ratio = bad / total if total else 0.0
            windows.append(
                {
                    "window_s": span,
                    "events": total,
                    "bad": bad,
                    "error_ratio": ratio,
                    "burn_rate": ratio / budget,
                }
            )
        longest = windows[-1]
        status.append(
            {
                "rule": rule_id,
                "title": rule.title,
                "group": list(group),
                "objective": spec.objective,
                "windows": windows,
                "error_budget_remaining": 1 - longest["error_ratio"] / budget,
                "firing": state.last_fired is not None and engine.watermark - state.last_fired < rule.dedupe,
            }
        )
    return status
