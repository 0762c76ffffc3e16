"""Render the log type catalog as the Markdown table kept in docs/telemetry.md.

``python -m otel_auth0.convert.catalog_doc docs/telemetry.md`` rewrites the table between the
markers in that file; without an argument the table is printed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from otel_auth0.convert.catalog import ALL_TYPES, LogType

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


def table_in_document(text: str) -> str:
    """The text between the catalog markers of a document."""
    start = text.index(TABLE_START) + len(TABLE_START)
    return text[start : text.index(TABLE_END, start)].strip("\n") + "\n"


def replace_table(text: str) -> str:
    """``text`` with the catalog table between its markers regenerated."""
    start = text.index(TABLE_START) + len(TABLE_START)
    end = text.index(TABLE_END, start)
    return f"{text[:start]}\n{render_markdown_table()}{text[end:]}"


def main(argv: list[str]) -> int:
    """Print the table, or rewrite it in the document named by the first argument."""
    if not argv:
        sys.stdout.write(render_markdown_table())
        return 0
    path = Path(argv[0])
    path.write_text(replace_table(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
