"""Whether an event matches a rule's ``match`` (docs/detections.md, "Matching")."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any, Final

from otel_auth0.convert.catalog import lookup
from otel_auth0.detections.model import FieldCondition, Match

MISSING: Final = object()
AUTH0_LOGS: Final = "auth0_logs"
_DERIVED: Final = frozenset({"category", "outcome"})


def field_value(event: Mapping[str, Any], path: str, source: str = AUTH0_LOGS) -> Any:
    """The value at the dotted ``path`` (``details.request.path``), or :data:`MISSING`.

    For Auth0 events ``category`` and ``outcome`` come from the type-code catalog."""
    if source == AUTH0_LOGS and path in _DERIVED:
        log_type = lookup(str(event.get("type", "")))
        return log_type.category if path == "category" else log_type.outcome
    value: Any = event
    for part in path.split("."):
        if not isinstance(value, dict):
            return MISSING
        if part in value:
            value = value[part]
            continue
        # Keys differ in case between Auth0 endpoints (``Enabled`` / ``enabled``): fall back to the
        # one key equal ignoring case.
        folded = [key for key in value if isinstance(key, str) and key.lower() == part.lower()]
        if len(folded) != 1:
            return MISSING
        value = value[folded[0]]
    return value


def _empty(value: Any) -> bool:
    return value is MISSING or value is None or value in ("", [], {})


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def condition_holds(condition: FieldCondition, value: Any) -> bool:
    """Every condition given holds for ``value``; a missing value only satisfies ``exists: false``,
    ``empty: true`` and ``not_in``."""
    if condition.exists is not None and (value is not MISSING) != condition.exists:
        return False
    if condition.empty is not None and _empty(value) != condition.empty:
        return False
    if condition.not_in is not None and value is not MISSING and value in condition.not_in:
        return False
    if condition.not_contains is not None and _contains(value, condition.not_contains):
        return False
    checks = (
        condition.equals,
        condition.in_,
        condition.contains,
        condition.prefix,
        condition.matches,
        condition.gte,
        condition.lte,
    )
    if all(check is None for check in checks):
        return True
    if value is MISSING:
        return False
    if condition.equals is not None and value != condition.equals:
        return False
    if condition.in_ is not None and value not in condition.in_:
        return False
    if condition.contains is not None and not _contains(value, condition.contains):
        return False
    if condition.prefix is not None and not (isinstance(value, str) and value.startswith(condition.prefix)):
        return False
    if condition.matches is not None and not (
        isinstance(value, str) and _pattern(condition.matches).fullmatch(value)
    ):
        return False
    number = _number(value)
    if condition.gte is not None and (number is None or number < condition.gte):
        return False
    return condition.lte is None or (number is not None and number <= condition.lte)


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _contains(value: Any, needle: str) -> bool:
    """Case-insensitive substring of a string; element of a list."""
    if isinstance(value, str):
        return needle.lower() in value.lower()
    if isinstance(value, list):
        return any(str(item) == needle for item in value)
    return False


def type_matches(match: Match, event_type: str) -> bool:
    """The part of a match that depends only on the Auth0 type code (cached per code by the engine)."""
    log_type = lookup(event_type)
    return (
        (match.type is None or event_type in match.type)
        and (match.category is None or log_type.category in match.category)
        and (match.outcome is None or log_type.outcome in match.outcome)
    )


def fields_match(match: Match, event: Mapping[str, Any], source: str) -> bool:
    """The field conditions of ``match`` (and, for non-Auth0 sources, its type/outcome lists)."""
    if source != AUTH0_LOGS:
        if match.type is not None and event.get("type") not in match.type:
            return False
        if match.outcome is not None and event.get("outcome") not in match.outcome:
            return False
    for path, condition in match.fields.items():
        if not condition_holds(condition, field_value(event, path, source)):
            return False
    if match.any_of is None:
        return True
    return any(
        all(condition_holds(c, field_value(event, p, source)) for p, c in alternative.items())
        for alternative in match.any_of
    )
