"""The subset of Auth0's log search syntax (``q``) the simulator understands.

Terms are ``field:value``, ``field:"quoted value"``, ``field:prefix*``, ``field:*`` (present) or a
range ``field:[A TO B]`` with ``[``/``]`` inclusive and ``{``/``}`` exclusive bounds and ``*`` for open
ends; ``date`` ranges compare as instants. Terms combine with ``AND`` (adjacent terms too). Values are
case-sensitive and not tokenized, as on Auth0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SEARCH_FIELDS = frozenset(
    [
        "client_id",
        "client_name",
        "connection",
        "connection_id",
        "description",
        "date",
        "hostname",
        "ip",
        "log_id",
        "organization_id",
        "user_id",
        "user_name",
        "user_agent",
        "strategy",
        "strategy_type",
        "type",
    ]
)

_TOKEN = re.compile(
    r'\s*(?:(?P<and>AND)\b|(?P<field>[A-Za-z_.]+):(?P<value>"(?:[^"\\]|\\.)*"|[\[{][^\]}]*[\]}]|\S+))'
)
_RANGE = re.compile(r"^(?P<open>[\[{])\s*(?P<low>\S+)\s+TO\s+(?P<high>\S+)\s*(?P<close>[\]}])$")


class QuerySyntaxError(ValueError):
    """The ``q`` parameter uses syntax outside the supported subset."""


@dataclass(frozen=True)
class Range:
    """Bounds of a range term; ``None`` is an open end."""

    low: str | None
    high: str | None
    low_inclusive: bool
    high_inclusive: bool


@dataclass(frozen=True)
class Term:
    """One ``field:value`` condition."""

    field: str
    value: str | Range

    def matches(self, event: dict[str, Any]) -> bool:
        """Whether ``event`` satisfies this condition."""
        actual = event.get(self.field)
        if actual is None:
            return False
        text = str(actual)
        if isinstance(self.value, Range):
            return _in_range(self.field, text, self.value)
        if self.value == "*":
            return True
        if self.value.endswith("*") and not self.value.endswith("\\*"):
            return text.startswith(self.value[:-1])
        return text == self.value.replace("\\*", "*")


def parse_query(q: str) -> list[Term]:
    """Parse ``q`` into terms that must all match; raise :class:`QuerySyntaxError` otherwise."""
    terms: list[Term] = []
    position, expect_term = 0, True
    while position < len(q.rstrip()):
        match = _TOKEN.match(q, position)
        if match is None:
            raise QuerySyntaxError(f"cannot parse q at position {position}: {q[position : position + 30]!r}")
        position = match.end()
        if match.group("and"):
            if expect_term:
                raise QuerySyntaxError("AND must join two terms")
            expect_term = True
            continue
        terms.append(_term(match.group("field"), match.group("value")))
        expect_term = False
    if expect_term:
        raise QuerySyntaxError("empty query" if not terms else "query ends with AND")
    return terms


def matches_all(terms: list[Term], event: dict[str, Any]) -> bool:
    """Whether ``event`` satisfies every term."""
    return all(term.matches(event) for term in terms)


def _term(field: str, raw: str) -> Term:
    if field not in SEARCH_FIELDS:
        raise QuerySyntaxError(
            f"unsupported search field {field!r}; use one of {', '.join(sorted(SEARCH_FIELDS))}"
        )
    if raw.startswith('"'):
        return Term(field, re.sub(r"\\(.)", r"\1", raw[1:-1]))
    if raw[0] in "[{":
        match = _RANGE.match(raw)
        if match is None:
            raise QuerySyntaxError(f"malformed range {raw!r}; expected [A TO B] or {{A TO B}}")
        low, high = (None if b == "*" else b for b in (match.group("low"), match.group("high")))
        bounds = Range(low, high, match.group("open") == "[", match.group("close") == "]")
        if field == "date":
            for bound in (low, high):
                if bound is not None:
                    _instant(bound)
        return Term(field, bounds)
    if raw in ("OR", "NOT") or raw.startswith("("):
        raise QuerySyntaxError(f"unsupported operator in {raw!r}; only AND is supported")
    return Term(field, raw)


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise QuerySyntaxError(f"not a date: {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _in_range(field: str, actual: str, bounds: Range) -> bool:
    try:
        key: Any = _instant(actual) if field == "date" else actual
    except QuerySyntaxError:
        return False  # an event with an unparsable date matches no date range
    if bounds.low is not None:
        low: Any = _instant(bounds.low) if field == "date" else bounds.low
        if key < low or (key == low and not bounds.low_inclusive):
            return False
    if bounds.high is not None:
        high: Any = _instant(bounds.high) if field == "date" else bounds.high
        if key > high or (key == high and not bounds.high_inclusive):
            return False
    return True
