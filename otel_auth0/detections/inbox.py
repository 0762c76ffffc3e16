"""What a fleet's receivers hand the detection rules, as text: on PostgreSQL every replica stores the
observations of the events it enqueued in the detection inbox (in the same transaction), and the holder
of the tenant's detections lease reads them back (:mod:`otel_auth0.detections.shared`)."""

from __future__ import annotations

import json
from typing import Any

from otel_auth0.detections.engine import Observed
from otel_auth0.detections.matching import AUTH0_LOGS


def encode(observed: Observed) -> str:
    """``observed`` as one JSON object (values JSON cannot hold become their text)."""
    return json.dumps(
        {
            "event": observed.event,
            "source": observed.source,
            "trace_id": observed.trace_id.hex(),
            "span_id": observed.span_id.hex(),
            "time_ns": observed.time_ns,
        },
        default=str,
        ensure_ascii=True,
    )


def decode(text: str) -> Observed:
    """The observation :func:`encode` wrote; ValueError when ``text`` is not one."""
    data: Any = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("event"), dict):
        raise ValueError("not an observation: no event object")
    time_ns = data.get("time_ns")
    if time_ns is not None and not isinstance(time_ns, int):
        raise ValueError("not an observation: time_ns is not an integer")
    return Observed(
        data["event"],
        source=str(data.get("source") or AUTH0_LOGS),
        trace_id=bytes.fromhex(str(data.get("trace_id") or "")),
        span_id=bytes.fromhex(str(data.get("span_id") or "")),
        time_ns=time_ns,
    )
