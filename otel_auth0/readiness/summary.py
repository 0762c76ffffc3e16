"""Markdown and HTML summaries of a readiness run, from the plugin's results file."""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

ICONS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}


def _rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    order = {"failed": 0, "skipped": 1, "passed": 2}
    return sorted(results, key=lambda r: (r["feature"], order.get(r["outcome"], 3), r["scenario"]))


def headline(results: list[dict[str, Any]]) -> str:
    """``12 passed, 3 failed (2 critical), 1 skipped``."""
    counts = Counter(r["outcome"] for r in results)
    critical = sum(1 for r in results if r["outcome"] == "failed" and "critical" in r["tags"])
    failed = f"{counts['failed']} failed ({critical} critical)"
    return f"{counts['passed']} passed, {failed}, {counts['skipped']} skipped"


def markdown(results: list[dict[str, Any]], target: str, when: str) -> str:
    """A Markdown report: headline, then one table row per scenario (failures first in each feature)."""
    lines = [
        f"# Auth0 production readiness: {target}",
        "",
        f"Run {when}: **{headline(results)}**",
        "",
        "| Feature | Scenario | Tags | Result | Evidence, or what is wrong and how to fix |",
        "|---|---|---|---|---|",
    ]
    for row in _rows(results):
        cells = [
            row["feature"],
            row["scenario"],
            " ".join(f"@{t}" for t in row["tags"]),
            ICONS[row["outcome"]],
        ]
        cells.append(row["message"])
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def html_report(results: list[dict[str, Any]], target: str, when: str) -> str:
    """The same as :func:`markdown`, as a standalone HTML page."""
    colours = {"passed": "#1a7f37", "failed": "#cf222e", "skipped": "#9a6700"}
    rows = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(cell))}</td>"
            for cell in (row["feature"], row["scenario"], " ".join(f"@{t}" for t in row["tags"]))
        )
        + f'<td style="color:{colours[row["outcome"]]};font-weight:bold">{ICONS[row["outcome"]]}</td>'
        + f"<td>{html.escape(row['message'])}</td></tr>"
        for row in _rows(results)
    )
    title = html.escape(f"Auth0 production readiness: {target}")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}</style></head>"
        f"<body><h1>{title}</h1><p>Run {html.escape(when)}: "
        f"<strong>{html.escape(headline(results))}</strong></p>"
        "<table><tr><th>Feature</th><th>Scenario</th><th>Tags</th><th>Result</th>"
        f"<th>Evidence, or what is wrong and how to fix</th></tr>\n{rows}\n</table></body></html>\n"
    )
