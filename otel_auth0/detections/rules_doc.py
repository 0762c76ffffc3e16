"""Render the default rules as the Markdown kept in docs/detections.md ("Default rules").

``python -m otel_auth0.detections.rules_doc docs/detections.md`` rewrites the section between the
markers; without an argument it is printed. A test keeps the document current.
"""

from __future__ import annotations

import sys

from otel_auth0.detections.loader import default_rules
from otel_auth0.detections.model import FieldCondition, Match, Rule
from otel_auth0.doc_section import DocSection

START = "<!-- default-rules:start -->"
END = "<!-- default-rules:end -->"


def _seconds(value: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if value >= size and value % size == 0:
            return f"{value / size:g}{unit}"
    return f"{value:g}s"


def _condition(path: str, condition: FieldCondition) -> str:
    given = condition.model_dump(by_alias=True, exclude_none=True)
    return f"`{path}` " + ", ".join(f"{key} `{value}`" for key, value in given.items())


def _matches(match: Match) -> str:
    parts = [f"source `{match.source}`"] if match.source != "auth0_logs" else []
    for key in ("type", "category", "outcome"):
        values = getattr(match, key)
        if values:
            parts.append(f"{key} " + ", ".join(f"`{value}`" for value in values))
    parts.extend(_condition(path, condition) for path, condition in match.fields.items())
    if match.any_of:
        alternatives = [" and ".join(_condition(p, c) for p, c in item.items()) for item in match.any_of]
        parts.append("any of: " + "; ".join(alternatives))
    return "; ".join(parts) or "every Auth0 event"


def _threshold(rule: Rule) -> str:
    by = ", ".join(f"`{name}`" for name in rule.groups) or "the whole tenant"
    if rule.threshold is not None:
        counted = f"distinct `{rule.threshold.distinct}` values" if rule.threshold.distinct else "events"
        text = f"{rule.threshold.count} {counted} within {_seconds(rule.threshold.window)}, per {by}"
    elif rule.baseline is not None:
        b = rule.baseline
        text = (
            f"at least {b.min_count} events within {_seconds(b.window)} and {b.factor:g} times what "
            f"the trailing {_seconds(b.period)} predicts, per {by}"
        )
    elif rule.absence is not None:
        a = rule.absence
        text = (
            f"no event for {_seconds(a.after)} after at least {a.min_events} in the trailing "
            f"{_seconds(a.history)}, per {by}"
        )
    elif rule.burn_rate is not None:
        r = rule.burn_rate
        pairs = " or ".join(
            f"{w.factor:g}x over {_seconds(w.long)} and {_seconds(w.short)}" for w in r.windows
        )
        bad = ", ".join(_condition(path, condition) for path, condition in r.bad.items())
        text = f"error budget of a {r.objective:.2%} objective (bad: {bad}) burning {pairs}, per {by}"
    else:
        text = f"every matching event, per {by}"
    return (
        f"{text}; repeated at most once per {_seconds(rule.dedupe)}" if rule.dedupe else f"{text}; every time"
    )


def render() -> str:
    """One section per default rule."""
    sections = []
    for rule in default_rules():
        sections.append(
            f"### `{rule.id}`\n\n"
            f"**{rule.title}** (severity {rule.severity})\n\n"
            f"- Matches: {_matches(rule.match)}\n"
            f"- Threshold: {_threshold(rule)}\n"
            f"- Why: {rule.description}\n"
            f"- What to do: {rule.runbook}\n"
        )
    return "\n".join(sections)


SECTION = DocSection(START, END, render)
section_in_document = SECTION.in_document


if __name__ == "__main__":
    raise SystemExit(SECTION.main(sys.argv[1:]))
