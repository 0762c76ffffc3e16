"""Log scan behind ``otel-auth0 scan`` and ``rate_limits.feature``: rate-limit events, authentication
failures by error, Management API failures, email delivery failures, deprecation notices and warnings
in a window, grouped by type, client, connection, IP and hour, compared with ``readiness.thresholds``.
A scan that could not read its whole window says which part it did not read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from otel_auth0.auth0.log_window import WindowRead
from otel_auth0.config import ReadinessThresholds
from otel_auth0.convert.catalog import RATE_LIMIT_CODES, lookup
from otel_auth0.convert.events import Event, EventFormatError, iter_json_items, normalize_event

AUTH_FAILURE_CATEGORIES = frozenset(
    [
        "auth.login.fail",
        "auth.signup.fail",
        "auth.token_exchange.fail",
        "auth.silent_auth.fail",
        "auth.logout.fail",
    ]
)
MANAGEMENT_FAILURE_CATEGORIES = frozenset(["management.fail"])
EMAIL_FAILURE_CODES = frozenset(["fn", "fv", "fvr", "gd_send_email_verification_failure"])
DEPRECATION_CODES = frozenset(["depnote"])
WARNING_CODES = frozenset(["w", "wn", "wum", "acul_sdk_notice"])
GROUPS = ("type", "client", "connection", "ip", "hour")


@dataclass
class Group:
    """Counts of one kind of event by type, client, connection, IP and hour."""

    total: int = 0
    by: dict[str, Counter[str]] = field(default_factory=lambda: {name: Counter() for name in GROUPS})

    def add(self, event: Event, kind: str) -> None:
        """Count ``event`` under ``kind`` (its type, or its error for authentication failures)."""
        self.total += 1
        self.by["type"][kind] += 1
        self.by["client"][str(event.get("client_name") or event.get("client_id") or "-")] += 1
        self.by["connection"][str(event.get("connection") or "-")] += 1
        self.by["ip"][str(event.get("ip") or "-")] += 1
        self.by["hour"][str(event.get("date") or "")[:13].replace("T", " ") + ":00"] += 1

    def as_json(self) -> dict[str, Any]:
        """Totals and groups, largest first."""
        return {
            "total": self.total,
            **{name: dict(counter.most_common()) for name, counter in self.by.items()},
        }


@dataclass
class ScanReport:
    """What one scan found."""

    since: datetime
    until: datetime | None = None
    events: int = 0
    stopped: str | None = None
    read_until: datetime | None = None
    retries: int = 0
    waited: float = 0.0
    rate_limit: Group = field(default_factory=Group)
    auth_failures: Group = field(default_factory=Group)
    management_failures: Group = field(default_factory=Group)
    email_failures: Group = field(default_factory=Group)
    deprecations: Group = field(default_factory=Group)
    warnings: Group = field(default_factory=Group)

    @property
    def complete(self) -> bool:
        """The whole window was read."""
        return self.stopped is None

    def span(self) -> str:
        """``<since> to <until>``: the time span read."""
        end = self.until if self.complete else self.read_until
        until = end.isoformat(timespec="seconds") if end else "the newest event"
        return f"{self.since.isoformat(timespec='seconds')} to {until}"

    def unread(self) -> str | None:
        """The part of the window not read (and why), or ``None`` when the whole window was read."""
        if self.complete:
            return None
        start = (self.read_until or self.since).isoformat(timespec="seconds")
        end = self.until.isoformat(timespec="seconds") if self.until else "now"
        return f"events from {start} to {end} were not read ({self.stopped})"

    def as_json(self) -> dict[str, Any]:
        """JSON-friendly form (``otel-auth0 scan --json``)."""
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "events": self.events,
            "complete": self.complete,
            "read_until": self.read_until.isoformat() if self.read_until else None,
            "unread": self.unread(),
            "retries": self.retries,
            "waited_s": round(self.waited, 1),
            "rate_limit": self.rate_limit.as_json(),
            "auth_failures": self.auth_failures.as_json(),
            "management_failures": self.management_failures.as_json(),
            "email_failures": self.email_failures.as_json(),
            "deprecations": self.deprecations.as_json(),
            "warnings": self.warnings.as_json(),
        }


def _date(event: Event) -> datetime | None:
    try:
        return datetime.fromisoformat(str(event.get("date", "")).replace("Z", "+00:00"))
    except ValueError:
        return None


def summarize(events: list[Event], since: datetime, until: datetime | None = None) -> ScanReport:
    """Classify the events dated from ``since`` to ``until`` (undated events are counted too)."""
    report = ScanReport(since, until)
    for event in events:
        when = _date(event)
        if when is not None and (when < since or (until is not None and when > until)):
            continue
        report.events += 1
        code = str(event.get("type", ""))
        category = lookup(code).category
        if code in RATE_LIMIT_CODES:
            report.rate_limit.add(event, code)
        elif code in EMAIL_FAILURE_CODES:
            report.email_failures.add(event, code)
        elif code in DEPRECATION_CODES:
            report.deprecations.add(event, code)
        elif code in WARNING_CODES:
            report.warnings.add(event, code)
        elif category in AUTH_FAILURE_CATEGORIES:
            error = str(event.get("description") or lookup(code).label)
            report.auth_failures.add(event, f"{code}: {error}")
        elif category in MANAGEMENT_FAILURE_CATEGORIES:
            report.management_failures.add(event, code)
    return report


def summarize_window(read: WindowRead) -> ScanReport:
    """:func:`summarize` of a window read from the tenant, keeping where and why it stopped."""
    report = summarize(read.events, read.since, read.until)
    report.stopped, report.read_until = read.stopped, read.read_until
    return report


def breaches(report: ScanReport, thresholds: ReadinessThresholds) -> list[str]:
    """One line per exceeded threshold."""
    limits = (
        (
            "rate-limit events",
            report.rate_limit,
            thresholds.rate_limit_events,
            "thresholds.rate_limit_events",
        ),
        (
            "authentication failures",
            report.auth_failures,
            thresholds.auth_failures,
            "thresholds.auth_failures",
        ),
        (
            "Management API failures",
            report.management_failures,
            thresholds.management_failures,
            "thresholds.management_failures",
        ),
    )
    lines = []
    for label, group, limit, key in limits:
        if limit is not None and group.total > limit:
            top = ", ".join(f"{name} x{count}" for name, count in group.by["type"].most_common(3))
            lines.append(f"{group.total} {label} (limit {limit}, readiness.{key}): {top}")
    return lines


def read_event_files(paths: list[Path]) -> list[Event]:
    """Events from saved files in any format ``otel-auth0 import`` reads; a bad item names file and index."""
    events: list[Event] = []
    for path in paths:
        for index, item in enumerate(iter_json_items(path.read_text(encoding="utf-8"))):
            try:
                events.append(normalize_event(item))
            except EventFormatError as error:
                raise EventFormatError(f"{path}: item {index}: {error}") from None
    return events
