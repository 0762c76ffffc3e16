"""Logging gates: logs leave the tenant (active log stream or a fresh poller checkpoint), the export
lag is under the threshold, and export is on when the plan keeps logs for less than required."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from otel_auth0.auth0.management_reads import TenantSnapshot, get_log, newest_log
from otel_auth0.auth0.sdk import SdkSession
from otel_auth0.config import ReadinessConfig
from otel_auth0.readiness.result import CheckResult, failed, passed, skipped
from otel_auth0.readiness.target import ReadinessTarget
from otel_auth0.receivers.log_stream import CHECKPOINT as STREAM_CHECKPOINT
from otel_auth0.receivers.logs_api import CHECKPOINT, log_id_time
from otel_auth0.state.checkpoints import read_checkpoints


@dataclass(frozen=True)
class PollerCheckpoint:
    """How far the collector got: the highest log id it holds (the poller's cursor or the newest log
    the Log Stream delivered, whichever is further) and when either was last stored."""

    log_id: str
    updated_at: float


def read_checkpoint(state_dir: Path) -> PollerCheckpoint | None:
    """The collector's position from its queue database (opened read-only)."""
    stored = read_checkpoints(state_dir, (CHECKPOINT, STREAM_CHECKPOINT))
    rows = [checkpoint for checkpoint in stored.values() if checkpoint.value]
    if not rows:
        return None
    return PollerCheckpoint(max(row.value for row in rows), max(row.updated_at for row in rows))


def _active_streams(snapshot: TenantSnapshot) -> list[str]:
    return [str(s.get("name")) for s in snapshot.log_streams if s.get("status") == "active"]


def check_export_active(
    snapshot: TenantSnapshot, checkpoint: PollerCheckpoint | None, config: ReadinessConfig
) -> CheckResult:
    """An active log stream, or a poller checkpoint younger than ``thresholds.log_lag_s``."""
    title = "Tenant logs are exported"
    checked = "GET /api/v2/log-streams; logs_api checkpoint in state_dir"
    streams = _active_streams(snapshot)
    if streams:
        return passed("log_export", title, checked, f"active log stream: {', '.join(streams)}")
    if checkpoint is not None:
        age = time.time() - checkpoint.updated_at
        if age <= config.thresholds.log_lag_s:
            return passed("log_export", title, checked, f"poller checkpoint updated {age:.0f}s ago")
        return failed(
            "log_export",
            title,
            checked,
            f"no active log stream and the poller checkpoint is {age:.0f}s old "
            f"(limit {config.thresholds.log_lag_s:g}s)",
            "start otel-auth0 run with receivers.logs_api, or resume the log stream",
        )
    return failed(
        "log_export",
        title,
        checked,
        "no active log stream and no poller checkpoint",
        "create a log stream to otel-auth0 (receivers.log_stream) or run otel-auth0 with receivers.logs_api",
    )


def _date(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def check_export_lag(target: ReadinessTarget, checkpoint: PollerCheckpoint | None) -> CheckResult:
    """The newest tenant log is at most ``thresholds.log_lag_s`` ahead of the poller's position."""
    limit = target.readiness.thresholds.log_lag_s
    title = f"Export lag is under {limit:g}s"
    checked = "newest tenant log vs the collector's position (poller cursor or newest streamed log)"
    if checkpoint is None:
        return skipped(
            "log_lag",
            title,
            checked,
            "no poller checkpoint; a log stream's lag is not visible through the API",
        )
    log_id = checkpoint.log_id
    newest, at_checkpoint = target.with_client(lambda client: _pair(client, log_id))
    if newest is None:
        return passed("log_lag", title, checked, "the tenant has no logs")
    newest_date = _date(newest.get("date"))
    if newest.get("log_id", newest.get("_id")) == checkpoint.log_id or newest_date is None:
        return passed("log_lag", title, checked, "the poller is at the newest log")
    # Log ids carry the time they were logged: a cursor the poller synthesised from a start instant
    # is not a retained log but still has a position.
    position = log_id_time(checkpoint.log_id) or (_date(at_checkpoint.get("date")) if at_checkpoint else None)
    newest_id = str(newest.get("log_id") or newest.get("_id") or "")
    newest_date = log_id_time(newest_id) or newest_date
    if position is None:
        return failed(
            "log_lag",
            title,
            checked,
            "the checkpointed log is no longer retained",
            "restart the poller; logs were missed",
        )
    lag = max(0.0, (newest_date - position).total_seconds())
    if lag > limit:
        return failed(
            "log_lag",
            title,
            checked,
            f"export is {lag:.0f}s behind (limit {limit:g}s)",
            "check the collector is running and its exporters are healthy (otel-auth0 run logs)",
        )
    return passed("log_lag", title, checked, f"{lag:.0f}s behind")


def _pair(session: SdkSession, log_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The newest log and the log at ``log_id``."""
    return newest_log(session), get_log(session, log_id)


def check_retention(
    snapshot: TenantSnapshot, checkpoint: PollerCheckpoint | None, config: ReadinessConfig
) -> CheckResult:
    """When the plan keeps logs for less than ``required_retention_days``, export must be on."""
    title = f"Logs are kept for {config.required_retention_days} days"
    checked = "readiness.plan_retention_days vs required_retention_days; log streams, poller"
    if config.plan_retention_days is None:
        return skipped(
            "retention", title, checked, "set readiness.plan_retention_days to your plan's log retention"
        )
    if config.plan_retention_days >= config.required_retention_days:
        return passed("retention", title, checked, f"the plan keeps {config.plan_retention_days} days")
    if _active_streams(snapshot) or checkpoint is not None:
        return passed("retention", title, checked, "export is on; retention is the backend's")
    return failed(
        "retention",
        title,
        checked,
        f"the plan keeps {config.plan_retention_days} days and no export is on",
        "export logs with a log stream or receivers.logs_api to a backend that keeps them long enough",
    )
