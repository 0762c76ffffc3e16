"""Markdown and HTML summaries of a readiness run, from the plugin's results (``results.json``) and run
facts (``run.json``): critical failures first, then recommended and other failures, skips, passes;
counts per feature and severity on top; every secret-shaped value masked.

The HTML report is one self-contained file (inline style and script, no external asset): its filters
(failed only, critical only, one feature) work offline, and it prints with every row shown.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from otel_auth0 import __version__
from otel_auth0.masking import mask_secrets

ICONS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}
SYMBOLS = {"passed": "\u2714", "failed": "\u2718", "skipped": "\u2013"}  # shown with the word, not alone
SEVERITIES = ("critical", "recommended", "manual", "other")
#: report sections in order: (id, heading, outcome, severities)
GROUPS = (
    ("critical-failures", "Critical failures", "failed", ("critical",)),
    ("recommended-failures", "Recommended failures", "failed", ("recommended",)),
    ("other-failures", "Other failures (attestations, untagged gates)", "failed", ("manual", "other")),
    ("skipped", "Skipped (not checked in this run)", "skipped", SEVERITIES),
    ("passed", "Passed", "passed", SEVERITIES),
)
OUTLINE_TITLE = re.compile(r"^(?:Critical|Recommended) production check (?P<check>\w+)$")
ATTESTED_TITLE = re.compile(r"^Attested check (?P<item>\w+)$")


@dataclass(frozen=True)
class RunInfo:
    """The report header: which tenant, which tool, when, how long, which checks."""

    domain: str
    tenant: str | None = None
    started: float | None = None
    finished: float | None = None
    tags: str | None = None
    version: str = __version__

    @classmethod
    def from_json(cls, run: dict[str, Any], domain: str) -> RunInfo:
        """From the plugin's ``run.json`` (``domain`` when it has none)."""
        return cls(
            domain=str(run.get("domain") or domain),
            tenant=run.get("tenant"),
            started=run.get("started"),
            finished=run.get("finished"),
            tags=run.get("tags"),
        )

    @property
    def start_text(self) -> str:
        """ISO 8601 start time in UTC, or ``unknown``."""
        if self.started is None:
            return "unknown"
        return datetime.fromtimestamp(self.started, UTC).isoformat(timespec="seconds")

    @property
    def duration_text(self) -> str:
        """``1 min 23 s``, or ``unknown``."""
        if self.started is None or self.finished is None:
            return "unknown"
        seconds = max(0, round(self.finished - self.started))
        return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"

    def profile(self, results: list[dict[str, Any]]) -> str:
        """Which checks ran: the tag selection and the number of scenarios per severity."""
        counts = Counter(severity(row) for row in results)
        per = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s])
        selection = f"tags {self.tags}" if self.tags else "every scenario"
        return f"{selection}: {len(results)} scenarios ({per})"

    @property
    def title(self) -> str:
        """``Auth0 production readiness: NAME (domain)``."""
        who = f"{self.tenant} ({self.domain})" if self.tenant else self.domain
        return f"Auth0 production readiness: {who}"


def scenario_title(scenario: str) -> str:
    """A human title for a scenario name: outline rows of production checks and attestations get the
    check's own title instead of its id."""
    from otel_auth0.readiness.attestations import MANUAL_ITEMS
    from otel_auth0.readiness.checks import CHECKS

    if (match := OUTLINE_TITLE.match(scenario)) and match["check"] in CHECKS:
        return CHECKS[match["check"]].title
    if (match := ATTESTED_TITLE.match(scenario)) and match["item"] in MANUAL_ITEMS:
        return f"Attested: {MANUAL_ITEMS[match['item']].title}"
    return scenario


def severity(row: dict[str, Any]) -> str:
    """``critical``, ``recommended``, ``manual`` or ``other``."""
    return next((s for s in SEVERITIES[:3] if s in row["tags"]), "other")


def title(row: dict[str, Any]) -> str:
    """The row's human title."""
    return str(row.get("title") or scenario_title(row["scenario"]))


def unique(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each scenario once (by node id), masked."""
    seen: dict[str, dict[str, Any]] = {}
    for row in results:
        key = row.get("nodeid") or f"{row['feature']}::{row['scenario']}"
        seen[key] = {**row, "message": mask_secrets(str(row.get("message") or ""))}
    return list(seen.values())


def grouped(results: list[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """``(id, heading, rows)`` per report section, in report order."""
    rows = unique(results)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    out = []
    for group_id, heading, outcome, severities in GROUPS:
        members = [r for r in rows if r["outcome"] == outcome and severity(r) in severities]
        members.sort(key=lambda r: (order[severity(r)], r["feature"], title(r)))
        out.append((group_id, heading, members))
    return out


def headline(results: list[dict[str, Any]]) -> str:
    """``12 passed, 3 failed (2 critical), 1 skipped``."""
    rows = unique(results)
    counts = Counter(r["outcome"] for r in rows)
    critical = sum(1 for r in rows if r["outcome"] == "failed" and severity(r) == "critical")
    failed = f"{counts['failed']} failed ({critical} critical)"
    return f"{counts['passed']} passed, {failed}, {counts['skipped']} skipped"


def feature_counts(results: list[dict[str, Any]]) -> list[tuple[str, Counter[str]]]:
    """Per feature: counts of ``failed:critical``, ``failed:recommended``, ``failed:other``, ``skipped``,
    ``passed`` and ``total``."""
    table: dict[str, Counter[str]] = {}
    for row in unique(results):
        counts = table.setdefault(row["feature"], Counter())
        if row["outcome"] == "failed":
            sev = severity(row)
            counts[f"failed:{sev if sev in ('critical', 'recommended') else 'other'}"] += 1
        else:
            counts[row["outcome"]] += 1
        counts["total"] += 1
    return sorted(table.items())


COUNT_COLUMNS = (
    ("failed:critical", "Critical failures"),
    ("failed:recommended", "Recommended failures"),
    ("failed:other", "Other failures"),
    ("skipped", "Skipped"),
    ("passed", "Passed"),
    ("total", "Total"),
)


def split_message(row: dict[str, Any]) -> tuple[str, str]:
    """``(what was found, how to fix)`` of a row's one-line message (without the repeated title)."""
    found, _, fix = row["message"].partition(" Fix: ")
    for prefix in {title(row), row["scenario"]}:
        found = found.removeprefix(f"{prefix}: ")
    return found, fix


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(results: list[dict[str, Any]], run: RunInfo) -> str:
    """A Markdown report: header, counts per feature, then one table per section."""
    lines = [
        f"# {run.title}",
        "",
        f"- Tenant: {run.tenant or 'unknown'}; domain: {run.domain}",
        f"- otel-auth0 {run.version}; started {run.start_text}; took {run.duration_text}",
        f"- Checks run: {run.profile(unique(results))}",
        "",
        f"**{headline(results)}**",
        "",
        "## Summary per feature",
        "",
        "| Feature | " + " | ".join(label for _, label in COUNT_COLUMNS) + " |",
        "|---|" + "---:|" * len(COUNT_COLUMNS),
    ]
    for feature, counts in feature_counts(results):
        lines.append(f"| {_md(feature)} | " + " | ".join(str(counts[key]) for key, _ in COUNT_COLUMNS) + " |")
    for _, heading, rows in grouped(results):
        if not rows:
            continue
        lines += ["", f"## {heading} ({len(rows)})", ""]
        lines += ["| Feature | Scenario | Severity | Result | Found | Fix |", "|---|---|---|---|---|---|"]
        for row in rows:
            found, fix = split_message(row)
            cells = (row["feature"], title(row), severity(row), ICONS[row["outcome"]], found, fix)
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return mask_secrets("\n".join(lines) + "\n")


STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1f2328;line-height:1.4}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0;width:100%}#counts{width:auto}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1.2rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 1rem}dt{font-weight:600}dd{margin:0}
.result{font-weight:700;white-space:nowrap}
.failed .result{color:#a40e26}.passed .result{color:#116329}.skipped .result{color:#7d4e00}
.badge{display:inline-block;border:1px solid currentColor;border-radius:3px;padding:0 4px;font-size:.85em}
fieldset{border:1px solid #d0d7de;padding:.5rem 1rem}label{margin-right:1rem}
.fix{font-weight:600}
@media print{#filters,#shown{display:none}tr[hidden],section[hidden]{display:table-row!important}
section[hidden]{display:block!important}}
"""

SCRIPT = """
(function(){
  var failed=document.getElementById('f-failed'),critical=document.getElementById('f-critical'),
      feature=document.getElementById('f-feature'),shown=document.getElementById('shown');
  function apply(){
    var total=0,visible=0;
    document.querySelectorAll('section.group').forEach(function(section){
      var left=0;
      section.querySelectorAll('tbody tr').forEach(function(row){
        var show=(!failed.checked||row.dataset.outcome==='failed')&&
                 (!critical.checked||row.dataset.severity==='critical')&&
                 (!feature.value||row.dataset.feature===feature.value);
        row.hidden=!show;total++;if(show){visible++;left++;}
      });
      section.hidden=left===0;
    });
    shown.textContent='Showing '+visible+' of '+total+' scenarios';
  }
  [failed,critical,feature].forEach(function(el){el.addEventListener('change',apply);});
  apply();
})();
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _row(row: dict[str, Any]) -> str:
    outcome = row["outcome"]
    found, fix = split_message(row)
    fix_html = f'<br><span class="fix">Fix:</span> {_e(fix)}' if fix else ""
    attrs = (
        f'class="{outcome}" data-outcome="{outcome}" data-severity="{severity(row)}" '
        f'data-feature="{_e(row["feature"])}"'
    )
    return (
        f'<tr {attrs}><td>{_e(row["feature"])}</td><th scope="row">{_e(title(row))}</th>'
        f'<td><span class="badge">{_e(severity(row))}</span></td>'
        f'<td class="result">{SYMBOLS[outcome]} {ICONS[outcome]}</td><td>{_e(found)}{fix_html}</td></tr>'
    )


def html_report(results: list[dict[str, Any]], run: RunInfo) -> str:
    """The report as one self-contained, accessible HTML page with offline filters."""
    rows = unique(results)
    features = sorted({r["feature"] for r in rows})
    counts_rows = "\n".join(
        f'<tr><th scope="row">{_e(feature)}</th>'
        + "".join(f'<td class="num">{counts[key]}</td>' for key, _ in COUNT_COLUMNS)
        + "</tr>"
        for feature, counts in feature_counts(results)
    )
    totals: Counter[str] = Counter()
    for _, counts in feature_counts(results):
        totals.update(counts)
    sections = []
    for group_id, heading, members in grouped(results):
        if not members:
            continue
        body = "\n".join(_row(r) for r in members)
        sections.append(
            f'<section class="group" id="{group_id}" aria-labelledby="{group_id}-h">'
            f'<h2 id="{group_id}-h">{_e(heading)} ({len(members)})</h2>'
            f'<table><caption>{_e(heading)}</caption><thead><tr><th scope="col">Feature</th>'
            '<th scope="col">Scenario</th><th scope="col">Severity</th><th scope="col">Result</th>'
            f'<th scope="col">What was found, and how to fix it</th></tr></thead><tbody>\n{body}\n'
            "</tbody></table></section>"
        )
    options = "".join(f'<option value="{_e(f)}">{_e(f)}</option>' for f in features)
    jumps = "".join(
        f'<li><a href="#{group_id}">{_e(heading)} ({len(members)})</a></li>'
        for group_id, heading, members in grouped(results)
        if members
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{_e(run.title)}</title><style>{STYLE}</style></head>
<body><header><h1>{_e(run.title)}</h1>
<dl id="run">
<dt>Tenant</dt><dd id="tenant">{_e(run.tenant or "unknown")}</dd>
<dt>Domain</dt><dd id="domain">{_e(run.domain)}</dd>
<dt>otel-auth0</dt><dd id="version">{_e(run.version)}</dd>
<dt>Started</dt><dd id="started">{_e(run.start_text)}</dd>
<dt>Duration</dt><dd id="duration">{_e(run.duration_text)}</dd>
<dt>Checks run</dt><dd id="profile">{_e(run.profile(rows))}</dd>
</dl>
<p id="headline"><strong>{_e(headline(results))}</strong></p>
<nav aria-label="Sections"><ul>{jumps}</ul></nav></header>
<main>
<section aria-labelledby="summary-h"><h2 id="summary-h">Summary per feature and severity</h2>
<table id="counts"><caption>Scenarios per feature and result</caption><thead><tr><th scope="col">Feature</th>
{"".join(f'<th scope="col">{_e(label)}</th>' for _, label in COUNT_COLUMNS)}</tr></thead><tbody>
{counts_rows}</tbody><tfoot><tr><th scope="row">All features</th>
{"".join(f'<td class="num">{totals[key]}</td>' for key, _ in COUNT_COLUMNS)}</tr></tfoot></table></section>
<form id="filters" aria-label="Filters"><fieldset><legend>Show</legend>
<label><input type="checkbox" id="f-failed"> Failed only</label>
<label><input type="checkbox" id="f-critical"> Critical only</label>
<label for="f-feature">Feature</label>
<select id="f-feature"><option value="">All features</option>{options}</select>
</fieldset></form>
<p id="shown" role="status"></p>
{"".join(sections)}
</main><script>{SCRIPT}</script></body></html>
"""
    return mask_secrets(page)
