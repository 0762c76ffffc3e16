"""Render the log type catalog as the Markdown table kept in docs/telemetry.md.

``python -m otel_auth0.convert.catalog_doc docs/telemetry.md`` rewrites the table between the
markers in that file; without an argument the table is printed.
"""

from __future__ import annotations

import sys

from otel_auth0.convert.catalog import ALL_TYPES, LogType
from otel_auth0.doc_section import DocSection

TABLE_START = "<!-- catalog-table:start -->"
TABLE_END = "<!-- catalog-table:end -->"


def _flags(entry: LogType) -> str:
    flags = (("rate-limit", entry.rate_limit), ("security", entry.security))
    return ", ".join(name for name, on in flags if on)


def render_markdown_table() -> str:
    """Every catalog code as one Markdown table row, sorted by code."""
    lines = [
        "| code | label | category | outcome | severity | flags |",
        "|---|---|---|---|---|---|",
    ]
    for code in sorted(ALL_TYPES):
        t = ALL_TYPES[code]
        severity = f"{t.severity.text} ({t.severity.value})"
        lines.append(f"| `{code}` | {t.label} | `{t.category}` | {t.outcome} | {severity} | {_flags(t)} |")
    return "\n".join(lines) + "\n"


SECTION = DocSection(TABLE_START, TABLE_END, render_markdown_table)
table_in_document = SECTION.in_document
replace_table = SECTION.replace


if __name__ == "__main__":
    raise SystemExit(SECTION.main(sys.argv[1:]))
