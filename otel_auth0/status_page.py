"""The status page on ``telemetry.listen`` (``/``, ``/status``, ``/status.json``): what the running
collector is doing, at a glance, in the manner of the OpenTelemetry Collector's zPages.

The page is a list of :class:`Section` values, each made by a *section provider*: a function of the
:class:`StatusContext` (the collector, the time, the history of its self-metrics). The default providers
cover the overview, receivers (every receiver the registry built, so a new kind appears by itself),
the queue, exporters, the last detections and the login probe's recent runs. Another part adds its own
with :func:`register_section`. Every string on the page goes through :func:`otel_auth0.masking.mask_secrets`,
and the page shows no user data beyond what ``/metrics`` shows (no IPs, user names or event contents).

``/status.json`` is the same data; its JSON Schema is :data:`STATUS_SCHEMA` (docs/operations.md).
"""

from __future__ import annotations

import html
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry

from otel_auth0 import __version__
from otel_auth0.fleet import DETECTIONS_JOB
from otel_auth0.masking import mask_secrets, mask_tree

if TYPE_CHECKING:
    from otel_auth0.runtime import Collector

SCHEMA_VERSION = 1
SAMPLE_INTERVAL = 5.0  # seconds between samples of the self-metrics (event rates, last export success)
MIN_SAMPLE_GAP = 1.0  # a page request samples too, at most once a second
HISTORY = 3700.0  # seconds of samples kept: the last hour and a little more
REFRESH = 10  # seconds between the page's own reloads
MAX_TEXT = 300  # characters of an error message shown
Value = str | int | float | bool | None


@dataclass
class Section:
    """One block of the page: a title, a one-line summary, and a table (``columns``: key and label of
    each cell; ``rows``: values by key). A row's ``state`` (``ok``, ``failing``, ``restarting``, ``idle``,
    ``stopped``) is shown as a word and a colour."""

    id: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Value]] = field(default_factory=list)
    summary: str = ""
    empty: str = "nothing to show yet"
    tenant: str | None = None  # the tenant of a ``tenants:`` list this section is about

    def as_json(self) -> dict[str, Any]:
        """The section in ``/status.json`` (``tenant`` only on a tenant's section)."""
        shown: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "columns": [{"key": key, "label": label} for key, label in self.columns],
            "rows": self.rows,
            "empty": self.empty,
        }
        if self.tenant is not None:
            shown["tenant"] = self.tenant
        return shown


class MetricHistory:
    """Samples of the self-metrics (counters and gauges by name and labels) over the last hour: the
    increase of a counter over a window, and when it last increased."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry
        self._samples: deque[tuple[float, dict[tuple[str, tuple[tuple[str, str], ...]], float]]] = deque()

    def sample(self, now: float | None = None) -> None:
        """Take a sample now (every registered family, the tenant's ``auth0_*`` gauges included)."""
        now = time.time() if now is None else now
        if self._samples and now - self._samples[-1][0] < MIN_SAMPLE_GAP:
            return
        values = {
            (s.name, tuple(sorted(s.labels.items()))): float(s.value)
            for family in CollectorRegistry.collect(self._registry)
            for s in family.samples
        }
        self._samples.append((now, values))
        while self._samples and self._samples[0][0] < now - HISTORY:
            self._samples.popleft()

    def _value(
        self, values: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
    ) -> float:
        return sum(
            value
            for (sample, sample_labels), value in values.items()
            if sample == name and set(labels.items()) <= set(sample_labels)
        )

    def latest(self, name: str, **labels: str) -> float | None:
        """The newest value (summed over the other labels), or ``None`` when never seen."""
        if not self._samples:
            return None
        values = self._samples[-1][1]
        if not any(sample == name for sample, _ in values):
            return None
        return self._value(values, name, **labels)

    def increase(self, name: str, window: float, **labels: str) -> float:
        """How much a counter grew over the last ``window`` seconds (since the first sample when the
        history is shorter: the counters start at zero with the process)."""
        if not self._samples:
            return 0.0
        newest_at, newest = self._samples[-1]
        base = next((values for at, values in reversed(self._samples) if at <= newest_at - window), None)
        before = self._value(base, name, **labels) if base is not None else 0.0
        return max(0.0, self._value(newest, name, **labels) - before)

    def last_increase(self, name: str, **labels: str) -> float | None:
        """Time of the newest sample in which the counter had grown since the one before (``None``: not
        within the history)."""
        samples = list(self._samples)
        previous = 0.0
        found = None
        for at, values in samples:
            value = self._value(values, name, **labels)
            if value > previous:
                found = at
            previous = value
        return found


@dataclass
class StatusContext:
    """What a section provider reads."""

    collector: Collector
    now: float
    metrics: MetricHistory
    tenant: str | None = None  # the tenant of a ``tenants:`` list whose pipeline ``collector`` is


SectionProvider = Callable[[StatusContext], Section | None]
PROVIDERS: list[SectionProvider] = []


def register_section(provider: SectionProvider) -> SectionProvider:
    """Add ``provider`` to every status page (a decorator; sections show in registration order)."""
    PROVIDERS.append(provider)
    return provider


def text(value: object) -> str:
    """A string fit for the page: masked, one line, at most :data:`MAX_TEXT` characters."""
    shown = mask_secrets(" ".join(str(value).split()))
    return shown if len(shown) <= MAX_TEXT else shown[: MAX_TEXT - 1] + "…"


def iso(moment: float | None) -> str | None:
    """ISO 8601 UTC time, or ``None``."""
    return None if moment is None else datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


def ago(moment: float | None, now: float) -> str:
    """``12 s ago``, ``3 min ago``, ``never``."""
    if moment is None:
        return "never"
    seconds = max(0.0, now - moment)
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


@register_section
def overview(context: StatusContext) -> Section:
    """Version, uptime, readiness and why not."""
    collector = context.collector
    reasons = collector.health.reasons(context.now)
    auth0 = collector.config.auth0
    rows: list[dict[str, Value]] = [
        {"item": "otel-auth0 version", "value": __version__},
        {"item": "service.name", "value": collector.config.service_name},
        {"item": "tenant", "value": (auth0.tenant_name or auth0.domain) if auth0 is not None else None},
        {"item": "started", "value": iso(collector.health.started_at)},
        {
            "item": "ready (/readyz)",
            "value": "ready" if not reasons else "not ready",
            "state": "ok" if not reasons else "failing",
        },
    ]
    rows += [{"item": "not ready because", "value": text(reason), "state": "failing"} for reason in reasons]
    uptime = context.now - collector.health.started_at
    summary = f"{'ready' if not reasons else 'NOT READY'}; up {uptime / 60:.0f} min"
    return Section("overview", "Overview", [("item", "Item"), ("value", "Value")], rows, summary)


def receiver_state(
    running: bool, restarting: bool, last_success: float | None, last_error_at: float | None
) -> str:
    """``restarting``, ``failing`` (an error after the last success), ``ok``, ``idle`` or ``stopped``."""
    if restarting:
        return "restarting"
    if last_error_at is not None and (last_success is None or last_error_at > last_success):
        return "failing"
    if not running:
        return "stopped"
    return "ok" if last_success is not None else "idle"


def checkpoints(collector: Collector, prefix: str) -> list[tuple[str, str, float]]:
    """``(name, value, updated_at)`` of the stored positions whose name starts with ``prefix`` (from the
    state backend: SQLite or PostgreSQL; none while it cannot be read)."""
    try:
        stored = collector.pipeline.queue.checkpoints(prefix)
    except Exception:  # a state store that is down shows elsewhere on the page (readiness)
        return []
    return [(name, checkpoint.value, checkpoint.updated_at) for name, checkpoint in stored]


def position(value: str) -> str:
    """A checkpoint's value when it is a short position (a log id, a cursor), else only its length."""
    shown = mask_secrets(value)
    return value if shown == value and len(value) <= 64 and value.isprintable() else f"({len(value)} chars)"


@register_section
def receivers(context: StatusContext) -> Section:
    """Every receiver the registry built: state, last success, last error, restarts, events, position,
    lag."""
    collector, now, metrics = context.collector, context.now, context.metrics
    rows: list[dict[str, Value]] = []
    for name, status in collector.receiver_statuses().items():
        state = receiver_state(status.running, status.restarting, status.last_success, status.last_error_at)
        stored = checkpoints(collector, f"{name}.")
        lag = metrics.latest("auth0_ingest_lag_seconds", otel_auth0_receiver=name)
        events = {"otel_auth0_receiver": name}
        rows.append(
            {
                "receiver": name,
                "state": state,
                "failing_since": iso(status.failing_since) if state in ("failing", "restarting") else None,
                "last_success": iso(status.last_success),
                "last_success_ago": ago(status.last_success, now),
                "last_error": text(status.last_error) if status.last_error else None,
                "last_error_at": iso(status.last_error_at),
                "restarts": status.restarts,
                "events_last_minute": int(metrics.increase("otel_auth0_receiver_events_total", 60, **events)),
                "events_last_hour": int(metrics.increase("otel_auth0_receiver_events_total", 3600, **events)),
                "position": "; ".join(f"{n.removeprefix(name + '.')}={position(v)}" for n, v, _ in stored)
                or None,
                "position_saved": iso(max((at for _, _, at in stored), default=None)),
                "lag_seconds": None if lag is None else round(lag, 3),
            }
        )
    failing = [str(r["receiver"]) for r in rows if r["state"] in ("failing", "restarting")]
    summary = f"{len(rows)} receivers" + (f"; failing: {', '.join(failing)}" if failing else "; none failing")
    columns = [
        ("receiver", "Receiver"),
        ("state", "State"),
        ("failing_since", "Failing since"),
        ("last_success_ago", "Last success"),
        ("restarts", "Restarts"),
        ("events_last_minute", "Events, last minute"),
        ("events_last_hour", "Events, last hour"),
        ("lag_seconds", "Lag (s)"),
        ("position", "Checkpoint / stream position"),
        ("last_error", "Last error"),
    ]
    return Section("receivers", "Receivers", columns, rows, summary, "no receiver is configured")


@register_section
def queue(context: StatusContext) -> Section:
    """The persistent queue's depth, bytes and oldest record."""
    collector = context.collector
    pipeline_queue = collector.pipeline.queue
    capacity = collector.config.queue.max_items
    rows: list[dict[str, Value]] = [
        {
            "records": pipeline_queue.size,
            "capacity": capacity,
            "bytes": pipeline_queue.stored_bytes,
            "oldest_age_seconds": round(pipeline_queue.oldest_age(), 3),
            "storage_error": text(pipeline_queue.storage_error) if pipeline_queue.storage_error else None,
            "state": "failing" if pipeline_queue.storage_error else "ok",
        }
    ]
    columns = [
        ("records", "Records"),
        ("capacity", "Capacity"),
        ("bytes", "Bytes"),
        ("oldest_age_seconds", "Oldest (s)"),
        ("state", "State"),
        ("storage_error", "Storage error"),
    ]
    summary = f"{pipeline_queue.size} of {capacity} records queued"
    return Section("queue", "Queue", columns, rows, summary)


@register_section
def exporters(context: StatusContext) -> Section:
    """Each exporter: last success, failing since, partial rejections."""
    metrics, now = context.metrics, context.now
    rows: list[dict[str, Value]] = []
    for worker in context.collector.pipeline.workers:
        name = worker.exporter_name
        labels = {"otel_auth0_exporter": name}
        last_success = metrics.last_increase("otel_auth0_export_records_total", **labels)
        rows.append(
            {
                "exporter": name,
                "state": "failing" if worker.failing_since is not None else "ok",
                "last_success": iso(last_success),
                "last_success_ago": ago(last_success, now),
                "failing_since": iso(worker.failing_since),
                "records_last_hour": int(metrics.increase("otel_auth0_export_records_total", 3600, **labels)),
                "partially_rejected_last_hour": int(
                    metrics.increase("otel_auth0_export_partially_rejected_total", 3600, **labels)
                ),
                "rejected_last_hour": int(
                    metrics.increase("otel_auth0_export_rejected_total", 3600, **labels)
                ),
            }
        )
    columns = [
        ("exporter", "Exporter"),
        ("state", "State"),
        ("last_success_ago", "Last success"),
        ("failing_since", "Failing since"),
        ("records_last_hour", "Records, last hour"),
        ("partially_rejected_last_hour", "Partially rejected, last hour"),
        ("rejected_last_hour", "Rejected, last hour"),
    ]
    failing = [str(r["exporter"]) for r in rows if r["state"] == "failing"]
    summary = f"{len(rows)} exporters" + (f"; failing: {', '.join(failing)}" if failing else "; none failing")
    return Section("exporters", "Exporters", columns, rows, summary, "no exporter (export is off)")


@register_section
def detections(context: StatusContext) -> Section | None:
    """The last detections: rule, severity, count and when (never the group: IPs and users stay out)."""
    detector = context.collector.pipeline.intake.detector
    if detector is None:
        return None
    rows: list[dict[str, Value]] = [
        {"time": iso(at), "rule": rule, "title": title, "severity": severity, "count": count}
        for at, rule, title, severity, count in reversed(detector.recent)
    ]
    columns = [
        ("time", "Time"),
        ("rule", "Rule"),
        ("title", "Title"),
        ("severity", "Severity"),
        ("count", "Events"),
    ]
    summary = f"{len(rows)} recent detections" if rows else "no detection since start"
    if detector.shared and not context.collector.holds_lease(DETECTIONS_JOB):
        summary += " here; the replica holding the detections lease evaluates the rules (see Leases)"
    return Section("detections", "Last detections", columns, rows, summary, "no detection since start")


@register_section
def login_slo(context: StatusContext) -> Section | None:
    """The login SLO from the probe's own results (the burn-rate rules): objective, error ratio and burn
    rate per window, error budget left, firing or not (never the group)."""
    detector = context.collector.pipeline.intake.detector
    status = detector.slo() if detector is not None else []
    if not status:
        return None
    rows: list[dict[str, Value]] = []
    for entry in status:
        windows = entry["windows"]
        rows.append(
            {
                "rule": text(entry["rule"]),
                "title": text(entry["title"]),
                "state": "failing" if entry["firing"] else "ok",
                "objective": f"{entry['objective'] * 100:g}%",
                "burn_rates": "; ".join(
                    f"{w['window_s'] / 3600:g}h {w['burn_rate']:.2f}x ({w['bad']}/{w['events']})"
                    for w in windows
                ),
                "error_budget_remaining": f"{entry['error_budget_remaining'] * 100:.1f}%",
            }
        )
    columns = [
        ("rule", "Rule"),
        ("title", "Objective"),
        ("state", "Burning"),
        ("objective", "Target"),
        ("burn_rates", "Burn rate by window (bad/runs)"),
        ("error_budget_remaining", "Error budget left"),
    ]
    burning = [str(r["rule"]) for r in rows if r["state"] == "failing"]
    summary = f"burning: {', '.join(burning)}" if burning else "within the error budget"
    return Section("login_slo", "Login SLO (probe)", columns, rows, summary, "no probe result yet")


@register_section
def probe_runs(context: StatusContext) -> Section | None:
    """The login probe's recent runs with their phase timings."""
    runners = [r.runner for r in context.collector.receivers if hasattr(r, "runner")]
    if not runners:
        return None
    rows: list[dict[str, Value]] = []
    for run in reversed(runners[0].recent):
        rows.append(
            {
                "time": iso(run.at),
                "state": "ok" if run.ok else "failing",
                "outcome": text(run.outcome),
                "duration_ms": None if run.duration is None else round(run.duration * 1000, 1),
                "phases": "; ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in run.phases)
                or None,
            }
        )
    ok = sum(1 for r in rows if r["state"] == "ok")
    columns = [
        ("time", "Time"),
        ("state", "Result"),
        ("outcome", "Outcome"),
        ("duration_ms", "Duration (ms)"),
        ("phases", "Steps and phases"),
    ]
    durations = [float(r["duration_ms"]) for r in rows if isinstance(r["duration_ms"], float)]
    slowest = f"; slowest {max(durations):.0f} ms" if durations else ""
    summary = f"{ok} of {len(rows)} recent runs succeeded{slowest}" if rows else "no run yet"
    return Section("login_probe", "Login probe: recent runs", columns, rows, summary, "no run yet")


@register_section
def leases(context: StatusContext) -> Section | None:
    """On a fleet (PostgreSQL state): every lease, the replica holding it, its epoch and time left (a
    tenant's page of a ``tenants:`` list: the tenant's leases only)."""
    report = context.collector.lease_report()
    if context.tenant is not None and context.collector.leases is not None:  # the tenant's own leases
        own = set(context.collector.leases.names)
        report = [entry for entry in report if entry["lease"] in own]
    if not report:
        return None
    rows: list[dict[str, Value]] = [
        {
            "lease": text(entry["lease"]),
            "holder": text(entry["holder"]),
            "state": "ok" if entry["mine"] else "idle",
            "epoch": text(entry["epoch"]),
            "seconds_left": text(entry["seconds_left"]),
        }
        for entry in report
    ]
    columns = [
        ("lease", "Lease (tenant/receiver)"),
        ("holder", "Held by replica"),
        ("state", "This replica's"),
        ("epoch", "Epoch"),
        ("seconds_left", "Seconds left"),
    ]
    mine = sum(1 for row in rows if row["state"] == "ok")
    summary = f"{len(rows)} leases; {mine} held by this replica"
    return Section("leases", "Fleet leases", columns, rows, summary, "no lease")


class StatusPage:
    """Builds the page's sections from the providers; samples the self-metrics in the background."""

    def __init__(self, collector: Collector, registry: CollectorRegistry, tenant: str | None = None) -> None:
        """``tenant``: the tenant of a ``tenants:`` list whose pipeline ``collector`` is (its sections
        carry the name)."""
        self._collector = collector
        self.metrics = MetricHistory(registry)
        self.tenant = tenant

    @property
    def collector(self) -> Collector:
        """The collector (one tenant's pipeline) the page shows."""
        return self._collector

    def sample(self) -> None:
        """One sample of the self-metrics (called every few seconds)."""
        self.metrics.sample()

    def sections(self) -> list[Section]:
        """Every registered provider's section (one that fails shows its error instead)."""
        context = StatusContext(self._collector, time.time(), self.metrics, self.tenant)
        out = []
        for provider in PROVIDERS:
            try:
                section = provider(context)
            except Exception as error:  # one broken section must not take the page down
                section = Section(
                    provider.__name__,
                    provider.__name__,
                    [("error", "Error")],
                    [{"error": text(f"{type(error).__name__}: {error}"), "state": "failing"}],
                    "this section failed",
                )
            if section is not None:
                section.tenant = self.tenant
                out.append(section)
        return out

    def as_json(self) -> dict[str, Any]:
        """``/status.json``."""
        self.sample()
        return {
            "schema_version": SCHEMA_VERSION,
            "generated_at": iso(time.time()),
            "version": __version__,
            "sections": [mask_tree(section.as_json()) for section in self.sections()],
        }

    def html(self) -> str:
        """``/status``: one self-contained page that reloads itself."""
        return render_html(self.as_json())


STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1f2328;line-height:1.4}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin:1.6rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:.3rem 0}
caption{text-align:left;color:#57606a;padding:.2rem 0}
th,td{border:1px solid #d0d7de;padding:3px 7px;text-align:left;vertical-align:top;font-size:.92rem}
td.long{overflow-wrap:anywhere;min-width:12rem}time{white-space:nowrap}
#problems{border:2px solid #a40e26;padding:.4rem .8rem;background:#fff1f0}
#problems.none{border-color:#116329;background:#f0fff4}
th{background:#f6f8fa}
.state{font-weight:700;white-space:nowrap}
.state-ok{color:#116329}.state-failing,.state-restarting{color:#a40e26}.state-idle,.state-stopped{color:#7d4e00}
tr.bad{background:#fff1f0}
"""
TENANTS_STYLE = (
    "h3{font-size:1.05rem;margin:1.2rem 0 .3rem}\n"
    "section.tenant{border-top:3px solid #d0d7de;margin-top:1.6rem}\n"
)
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
MARKS = {"ok": "\u2714", "failing": "\u2718", "restarting": "\u21bb", "idle": "\u2013", "stopped": "\u25a0"}


def _cell(key: str, value: Value) -> str:
    if value is None:
        return "<td>\u2014</td>"
    if key == "state":
        word = html.escape(str(value))
        return f'<td class="state state-{word}">{MARKS.get(word, "")} {word.upper()}</td>'
    if isinstance(value, str) and ISO_TIME.fullmatch(value):
        return f'<td><time datetime="{value}">{value[:10]} {value[11:19]}Z</time></td>'
    if isinstance(value, str) and len(value) > 24:  # long text (errors, positions) may break anywhere
        return f'<td class="long">{html.escape(value)}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def _tenant_link(tenant: Value) -> str:
    """A tenant's name in the tenants summary, linked to its block of sections."""
    name = html.escape(str(tenant))
    return f'<td><a href="#tenant-{name}">{name}</a></td>'


def render_html(status: dict[str, Any]) -> str:
    """The HTML page of a ``/status.json`` document."""
    parts = []
    open_tenant: str | None = None
    for section in status["sections"]:
        tenant = section.get("tenant")
        if tenant != open_tenant:  # a tenant's sections go in one block of their own
            if open_tenant is not None:
                parts.append("</section>")
            if tenant is not None:
                block = html.escape(f"tenant-{tenant}")
                parts.append(
                    f'<section class="tenant" id="{block}" aria-labelledby="{block}-h">'
                    f'<h2 id="{block}-h">Tenant {html.escape(tenant)}</h2>'
                )
            open_tenant = tenant
        sid = html.escape(section["id"] if tenant is None else f"{tenant}-{section['id']}")
        level = "h2" if tenant is None else "h3"
        keys = [c["key"] for c in section["columns"]]
        head = "".join(f'<th scope="col">{html.escape(c["label"])}</th>' for c in section["columns"])
        if section["rows"]:
            body = "".join(
                f'<tr data-id="{html.escape(str(row.get(keys[0])))}"'
                + (' class="bad"' if row.get("state") in ("failing", "restarting") else "")
                + ">"
                + "".join(
                    _tenant_link(row.get(key))
                    if section["id"] == "tenants" and key == "tenant"
                    else _cell(key, row.get(key))
                    for key in keys
                )
                + "</tr>"
                for row in section["rows"]
            )
        else:
            empty = html.escape(section["empty"])
            body = f'<tr><td colspan="{len(keys)}">{empty}</td></tr>'
        parts.append(
            f'<section id="{sid}" aria-labelledby="{sid}-h">'
            f'<{level} id="{sid}-h">{html.escape(section["title"])}</{level}>'
            f"<table><caption>{html.escape(section['summary'])}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></section>"
        )
    if open_tenant is not None:
        parts.append("</section>")
    problems = [
        (
            section["title"]
            if "tenant" not in section
            else f"tenant {section['tenant']}, {section['title']}",
            str(row.get(section["columns"][0]["key"])),
            str(row["state"]),
            row.get("failing_since"),
        )
        for section in status["sections"]
        for row in section["rows"]
        if row.get("state") in ("failing", "restarting") and section["columns"] and section["id"] != "tenants"
    ]
    if problems:
        items = "".join(
            f"<li>{html.escape(where)}: <strong>{html.escape(name)}</strong> {html.escape(state.upper())}"
            + (f" since {html.escape(str(since))}" if since else "")
            + "</li>"
            for where, name, state, since in problems
        )
        heading = f"<strong>Problems ({len(problems)})</strong>"
        banner = f'<div id="problems" role="alert">{heading}<ul>{items}</ul></div>'
    else:
        banner = '<div id="problems" class="none"><strong>\u2714 No problems</strong></div>'
    title = f"otel-auth0 status: {len(problems)} problems" if problems else "otel-auth0 status: ok"
    style = STYLE + TENANTS_STYLE if any("tenant" in section for section in status["sections"]) else STYLE
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="refresh" content="{REFRESH}"><title>{title}</title><style>{style}</style></head>
<body><header><h1>otel-auth0 status</h1>
<p>Generated <time id="generated">{html.escape(status["generated_at"])}</time>; reloads every {REFRESH} s.
Also as <a href="status.json">status.json</a> and <a href="metrics">metrics</a>.</p>{banner}</header>
<main>{"".join(parts)}</main></body></html>
"""
    return mask_secrets(page)


#: JSON Schema of ``/status.json`` (docs/operations.md)
STATUS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "otel-auth0 /status.json",
    "type": "object",
    "required": ["schema_version", "generated_at", "version", "sections"],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "generated_at": {"type": "string", "format": "date-time"},
        "version": {"type": "string"},
        "sections": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "title", "summary", "columns", "rows", "empty"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                    "title": {"type": "string"},
                    "summary": {"type": "string"},
                    "empty": {"type": "string"},
                    "tenant": {"type": "string"},
                    "columns": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["key", "label"],
                            "additionalProperties": False,
                            "properties": {"key": {"type": "string"}, "label": {"type": "string"}},
                        },
                    },
                    "rows": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "state": {"enum": ["ok", "failing", "restarting", "idle", "stopped"]}
                            },
                            "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
                        },
                    },
                },
            },
        },
    },
}
