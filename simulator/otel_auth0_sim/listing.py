"""Query-string filters and field projection of Management API list reads, as Auth0 documents them.

A filter turns one query parameter into a predicate over records; an absent parameter keeps every
record. Lists (``strategy``, ``app_type``, ``identifiers``) may be repeated or comma-separated.
``fields`` (comma-separated) with ``include_fields`` (default ``true``) keeps or drops those keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from otel_auth0_sim.management_api import BadRequest

Row = dict[str, Any]
Predicate = Callable[[Row], bool]


@dataclass(frozen=True)
class Filter:
    """Query parameter ``param`` matched against a record with ``match(record, values)``."""

    param: str
    match: Callable[[Row, list[str]], bool]

    def predicate(self, request: Request) -> Predicate | None:
        raw = request.query_params.getlist(self.param)
        if not raw:
            return None
        values = [v.strip() for item in raw for v in item.split(",") if v.strip()]
        return lambda row: self.match(row, values)


def one_of(param: str, field: str | None = None) -> Filter:
    """The record's ``field`` (``param`` by default) equals one of the given values."""
    key = field or param
    return Filter(param, lambda row, values: str(row.get(key)) in values)


def boolean(param: str, field: str | None = None, default: bool = False) -> Filter:
    """The record's boolean ``field`` (missing = ``default``) equals ``true`` / ``false``."""
    key = field or param

    def match(row: Row, values: list[str]) -> bool:
        wanted = values[-1].lower()
        if wanted not in ("true", "false"):
            raise BadRequest(f"Query validation error: '{param}' must be a boolean, got {values[-1]!r}")
        return bool(row.get(key, default)) == (wanted == "true")

    return Filter(param, match)


def contains(param: str, field: str) -> Filter:
    """Case-insensitive substring match on ``field`` (Auth0's ``name_filter``)."""
    return Filter(param, lambda row, values: values[-1].lower() in str(row.get(field, "")).lower())


def trigger(param: str = "triggerId") -> Filter:
    """An action supports one of the triggers; a hook has that ``triggerId``."""

    def match(row: Row, values: list[str]) -> bool:
        ids = {t.get("id") for t in row.get("supported_triggers", [])} | {row.get("triggerId")}
        return bool(ids & set(values))

    return Filter(param, match)


def apply_filters(request: Request, rows: list[Row], filters: tuple[Filter, ...]) -> list[Row]:
    """The records every given filter keeps."""
    predicates = [p for f in filters if (p := f.predicate(request)) is not None]
    return [row for row in rows if all(p(row) for p in predicates)]


def project(request: Request, row: Row) -> Row:
    """``row`` reduced to (or stripped of) the ``fields`` the query names."""
    fields = request.query_params.get("fields")
    if not fields:
        return row
    names = {f.strip() for f in fields.split(",") if f.strip()}
    if request.query_params.get("include_fields", "true").lower() == "false":
        return {k: v for k, v in row.items() if k not in names}
    return {k: v for k, v in row.items() if k in names}
