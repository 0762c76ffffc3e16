"""Auth0's log search syntax (``q``): the Lucene subset Auth0 documents.

- terms ``field:value``, ``field:"quoted value"``, ``field:prefix*`` (trailing wildcard; ``?`` is not
  supported, as on Auth0), ``field:*`` (present), ranges ``field:[A TO B]`` with ``[``/``]`` inclusive
  and ``{``/``}`` exclusive bounds and ``*`` for open ends (``date`` ranges compare as instants);
- a bare term (no field) matches ``client_name``, ``connection`` or ``user_name``;
- ``AND``, ``OR``, ``NOT``, parentheses, and field groups ``type:(fp fu)`` / ``type:(fp OR fu)``;
  terms side by side without an operator are OR-ed (Lucene's default operator).

Values are case-sensitive and not tokenized, as on Auth0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

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
BARE_TERM_FIELDS = ("client_name", "connection", "user_name")
_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<op>AND|OR|NOT|&&|\|\|)(?=[\s()]|$)"
    r'|(?P<field>[A-Za-z_.]+):(?=\S)|(?P<value>"(?:[^"\\]|\\.)*"|[\[{][^\]}]*[\]}]|[^\s()]+))'
)
_RANGE = re.compile(r"^(?P<open>[\[{])\s*(?P<low>\S+)\s+TO\s+(?P<high>\S+)\s*(?P<close>[\]}])$")


class QuerySyntaxError(ValueError):
    """The ``q`` parameter is not valid log search syntax."""


class Query(Protocol):
    """A parsed query (or part of one)."""

    def matches(self, event: dict[str, Any]) -> bool:
        """Whether ``event`` satisfies it."""


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


@dataclass(frozen=True)
class AllOf:
    """Every part matches (``AND``)."""

    parts: tuple[Query, ...]

    def matches(self, event: dict[str, Any]) -> bool:
        """Whether every part matches."""
        return all(part.matches(event) for part in self.parts)


@dataclass(frozen=True)
class AnyOf:
    """At least one part matches (``OR``, or terms side by side)."""

    parts: tuple[Query, ...]

    def matches(self, event: dict[str, Any]) -> bool:
        """Whether some part matches."""
        return any(part.matches(event) for part in self.parts)


@dataclass(frozen=True)
class Not:
    """The part does not match."""

    part: Query

    def matches(self, event: dict[str, Any]) -> bool:
        """Whether the part does not match."""
        return not self.part.matches(event)


def parse_query(q: str) -> Query:
    """Parse ``q``; raise :class:`QuerySyntaxError` with the position of the problem otherwise."""
    parser = _Parser(_tokens(q))
    query = parser.expression(None)
    if parser.position < len(parser.tokens):
        kind, text = parser.tokens[parser.position]
        raise QuerySyntaxError(
            f"unexpected {text!r}" + (" (unbalanced parentheses)" if kind == "close" else "")
        )
    return query


def _tokens(q: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while q[position:].strip():
        match = _TOKEN.match(q, position)
        if match is None:
            raise QuerySyntaxError(f"cannot parse q at position {position}: {q[position : position + 30]!r}")
        kind = match.lastgroup or ""
        text = match.group(kind)
        tokens.append((kind, {"&&": "AND", "||": "OR"}.get(text, text)))
        position = match.end()
    if not tokens:
        raise QuerySyntaxError("empty query")
    return tokens


class _Parser:
    """Recursive descent: ``or := and (OR and)*``, ``and := unary ((AND)? unary)*`` where side-by-side
    terms are OR-ed, ``unary := NOT unary | ( or ) | field:value | field:( values ) | value``."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError("query ends too early")
        self.position += 1
        return token

    def expression(self, field: str | None) -> Query:
        alternatives = [self.conjunction(field)]
        while (token := self.peek()) is not None and token[0] != "close":
            if token == ("op", "OR"):
                self.take()
            alternatives.append(self.conjunction(field))
        return alternatives[0] if len(alternatives) == 1 else AnyOf(tuple(alternatives))

    def conjunction(self, field: str | None) -> Query:
        parts = [self.unary(field)]
        while self.peek() == ("op", "AND"):
            self.take()
            parts.append(self.unary(field))
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def unary(self, field: str | None) -> Query:
        kind, text = self.take()
        if kind == "op" and text == "NOT":
            return Not(self.unary(field))
        if kind == "op":
            raise QuerySyntaxError(f"{text} must join two terms")
        if kind == "open":
            inner = self.expression(field)
            if self.take()[0] != "close":
                raise QuerySyntaxError("unbalanced parentheses")
            return inner
        if kind == "close":
            raise QuerySyntaxError("unbalanced parentheses")
        if kind == "field":
            if field is not None:
                raise QuerySyntaxError(f"field {text!r} inside the group of field {field!r}")
            if text not in SEARCH_FIELDS:
                raise QuerySyntaxError(
                    f"unsupported search field {text!r}; use one of {', '.join(sorted(SEARCH_FIELDS))}"
                )
            if self.peek() == ("open", "("):
                return self.unary(text)
            value_kind, value = self.take()
            if value_kind != "value":
                raise QuerySyntaxError(f"field {text!r} has no value")
            return _term(text, value)
        if field is not None:
            return _term(field, text)
        return AnyOf(tuple(_term(name, text) for name in BARE_TERM_FIELDS))


def _term(field: str, raw: str) -> Term:
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
    if "?" in raw:
        raise QuerySyntaxError(f"the ? wildcard is not supported in {raw!r}")
    if "*" in raw.rstrip("*").replace("\\*", ""):
        raise QuerySyntaxError(f"wildcards are only supported at the end of a value, not in {raw!r}")
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
