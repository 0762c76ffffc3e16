"""The headline ratios against their targets, and the table printed at the end of a run."""

from __future__ import annotations

from typing import Any

from rich.table import Table

TARGETS = {
    "mapping_ratio": (">=", 0.7),
    "pipeline_ratio": (">=", 0.35),
    "pipeline_detections_ratio": (">=", 0.30),
    "poller_ratio": (">=", 0.95),
    "poller_429s": ("<=", 5),
    "peak_rss_mb_1m_queued": ("<", 150.0),
}


def _meets(value: float, comparison: str, target: float) -> bool:
    return {">=": value >= target, "<=": value <= target, "<": value < target}[comparison]


def summary(results: dict[str, Any]) -> dict[str, Any]:
    """The headline keys (ratios, 429s, peak RSS) and whether each meets its target."""
    a = results["baseline"]["events_per_s"]
    headline: dict[str, Any] = {
        "mapping_ratio": round(results["mapping"]["events_per_s"] / a, 3),
        "detections_ratio": round(results["detections"]["events_per_s"] / a, 3),
        "pipeline_ratio": round(results["pipeline"]["events_per_s"] / a, 3),
        "pipeline_detections_ratio": round(results["pipeline_detections"]["events_per_s"] / a, 3),
        "poller_ratio": round(results["poller"]["ratio"], 3),
        "poller_429s": results["poller"]["responses_429"],
        "peak_rss_mb_1m_queued": results["memory"]["peak_rss_mb_queued"],
    }
    headline["targets_met"] = {key: _meets(headline[key], *TARGETS[key]) for key in TARGETS}
    headline["date"] = results["machine"]["date"]
    return headline


def render(results: dict[str, Any]) -> Table:
    """One row per measurement: absolute figure, ratio, target."""
    machine = results["machine"]
    table = Table(
        title=f"otel_auth0 bench — {machine['cpu_model']}, core {machine['pinned_core']} of "
        f"{machine['cpu_cores']}, Python {machine['python']}, {machine['date']}"
    )
    for column in ("measurement", "result", "ratio", "target", "met"):
        table.add_column(column, justify="left" if column == "measurement" else "right")
    pipeline, poller, memory = results["pipeline"], results["poller"], results["memory"]
    met = results["targets_met"]

    def mark(key: str) -> str:
        return "[green]yes[/]" if met[key] else "[red]no[/]"

    baseline = results["baseline"]["events_per_s"]
    table.add_row("(a) baseline: json.loads + direct OTLP", f"{baseline:,.0f} ev/s")
    table.add_row(
        "(b) mapping + encode", f"{results['mapping']['events_per_s']:,.0f} ev/s",
        f"{results['mapping_ratio']:.2f}", "≥ 0.70", mark("mapping_ratio"),
    )  # fmt: skip
    table.add_row(
        "(b2) mapping + encode + detection rules", f"{results['detections']['events_per_s']:,.0f} ev/s",
        f"{results['detections_ratio']:.2f}",
    )  # fmt: skip
    table.add_row(
        "(c) log_stream → queue → OTLP/HTTP", f"{pipeline['events_per_s']:,.0f} ev/s",
        f"{results['pipeline_ratio']:.2f}", "≥ 0.35", mark("pipeline_ratio"),
    )  # fmt: skip
    table.add_row(
        "    intake request p50 / p99",
        f"{pipeline['intake_latency_p50_ms']:.0f} / {pipeline['intake_latency_p99_ms']:.0f} ms",
    )
    table.add_row(
        "    intake → receiver p50 / p99",
        f"{pipeline['delivery_latency_p50_ms']:.0f} / {pipeline['delivery_latency_p99_ms']:.0f} ms",
    )
    table.add_row(
        "(c2) the same with the default detection rules",
        f"{results['pipeline_detections']['events_per_s']:,.0f} ev/s",
        f"{results['pipeline_detections_ratio']:.2f}", "≥ 0.30", mark("pipeline_detections_ratio"),
    )  # fmt: skip
    table.add_row(
        f"(d) poller catch-up, bound {poller['bound_events_per_s']} ev/s",
        f"{poller['events_per_s']:,.0f} ev/s",
        f"{results['poller_ratio']:.2f}", "≥ 0.95", mark("poller_ratio"),
    )  # fmt: skip
    table.add_row("    429 responses", str(poller["responses_429"]), "", "≤ 5", mark("poller_429s"))
    table.add_row(
        f"(e) peak RSS, {memory['events_queued']:,} events queued", f"{memory['peak_rss_mb_queued']:.0f} MB",
        "", "< 150 MB", mark("peak_rss_mb_1m_queued"),
    )  # fmt: skip
    table.add_row(
        "    peak RSS while draining",
        f"{memory['peak_rss_mb_draining']:.0f} MB ({memory['drained_records_per_s']:,.0f} rec/s)",
    )
    state = results.get("state_backends")
    if state is not None:
        table.add_row(
            f"(f) state store writes, SQLite (batches of {state['batch']})",
            f"{state['sqlite_events_per_s']:,.0f} ev/s",
        )
        for row in state["postgres"]:
            table.add_row(
                f"    PostgreSQL, {row['replicas']} replica(s) at once",
                f"{row['events_per_s']:,.0f} ev/s", f"{row['ratio_to_sqlite']:.2f}",
            )  # fmt: skip
        if "skipped" in state:
            table.add_row("    PostgreSQL", f"skipped: {state['skipped']}")
    for row in results["size_scaling"]:
        table.add_row(
            f"    size +{row['padding_kib']} KiB ({row['bytes_per_event']:,} B/event): a / b",
            f"{row['baseline_us_per_event']:.0f} / {row['mapping_us_per_event']:.0f} µs",
            f"{row['mapping_ratio']:.2f}",
        )
    return table
