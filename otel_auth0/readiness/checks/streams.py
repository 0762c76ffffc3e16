"""Log streams and event streams."""

from __future__ import annotations

from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.config import ReadinessConfig
from otel_auth0.readiness.checks.common import name, names
from otel_auth0.readiness.checks.registry import Verdict, bad, check, ok

UNHEALTHY = ("paused", "suspended")


@check(
    "log_streaming",
    "An active log stream exports tenant logs",
    "recommended",
    reads=("log_streams",),
    fix="create a log stream (Monitoring > Streams) or resume the paused one",
    anchor="checkLogStream",
)
def log_streaming(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """A log stream with ``status == "active"``."""
    active = names(s for s in snapshot.log_streams if s.get("status") == "active")
    if not active:
        states = ", ".join(f"{name(s)}={s.get('status')}" for s in snapshot.log_streams)
        return bad(states or "no log streams")
    return ok(f"active: {', '.join(active)}")


@check(
    "log_streams_healthy",
    "No log stream is paused or suspended",
    "critical",
    reads=("log_streams",),
    fix="fix the stream's destination and resume it (Monitoring > Streams); suspended streams lose events",
    anchor="checkLogStream",
)
def log_streams_healthy(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """No log stream has ``status`` paused or suspended."""
    stuck = [f"{name(s)}={s.get('status')}" for s in snapshot.log_streams if s.get("status") in UNHEALTHY]
    if stuck:
        return bad(f"log streams not delivering: {', '.join(stuck)}")
    return ok(f"{len(snapshot.log_streams)} log streams, none paused or suspended")


@check(
    "event_streams_healthy",
    "Event streams are enabled",
    "recommended",
    reads=("event_streams",),
    fix="enable the event stream or delete it (Event Streams)",
    anchor="checkEventStreams",
)
def event_streams_healthy(snapshot: TenantSnapshot, config: ReadinessConfig) -> Verdict:
    """Every event stream has ``status == "enabled"`` (none configured passes: they are optional)."""
    off = [f"{name(s)}={s.get('status')}" for s in snapshot.event_streams if s.get("status") != "enabled"]
    if off:
        return bad(f"event streams not enabled: {', '.join(off)}")
    return ok(f"{len(snapshot.event_streams)} event streams enabled")
