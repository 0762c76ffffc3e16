"""Normalising Auth0 events from every source to one shape: the tenant-log dict with a ``log_id``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson

Event = dict[str, Any]


class EventFormatError(ValueError):
    """An input item is not an Auth0 log event."""


def normalize_event(item: object) -> Event:
    """Unwrap Log-Stream items ``{"log_id", "data"}``, accept bare events and ``_id``; require a type."""
    if not isinstance(item, dict):
        raise EventFormatError(f"expected a JSON object, got {type(item).__name__}")
    data = item.get("data")
    if isinstance(data, dict) and "type" not in item:
        event: Event = dict(data)
        if "log_id" not in event and isinstance(item.get("log_id"), str):
            event["log_id"] = item["log_id"]
    else:
        event = dict(item)
    if not event.get("log_id") and isinstance(event.get("_id"), str):
        event["log_id"] = event["_id"]
    if not isinstance(event.get("type"), str) or not event["type"]:
        raise EventFormatError("event has no string `type`")
    log_id = event.get("log_id")
    if log_id is not None and not isinstance(log_id, str):
        raise EventFormatError("`log_id` must be a string")
    return event


INT64_MAX = 2**63 - 1


def sanitize(value: object) -> Any:
    """``value`` with what cannot be encoded made encodable: lone surrogates (``"\\ud800"`` in JSON)
    become U+FFFD, integers beyond 64 bits become their decimal text, keys become strings."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return value if -INT64_MAX - 1 <= value <= INT64_MAX else str(value)
    if isinstance(value, dict):
        return {sanitize(str(key)): sanitize(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [sanitize(item) for item in value]
    return sanitize(str(value))


def loads(text: str) -> Any:
    """Parse JSON with orjson (several times faster); what orjson refuses but the standard library
    accepts (``NaN``, ``Infinity``) is parsed by ``json``, so no payload the standard library takes is
    refused. Raises ``json.JSONDecodeError``."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def iter_json_items(text: str) -> Iterator[object]:
    """Yield items of a JSON array, a single JSON object, a Management-API page or JSON lines."""
    stripped = text.strip()
    if not stripped:
        return
    try:
        document = loads(stripped)
    except json.JSONDecodeError:
        for number, line in enumerate(stripped.splitlines(), start=1):
            if line.strip():
                try:
                    yield loads(line)
                except json.JSONDecodeError as exc:
                    raise EventFormatError(f"line {number}: not JSON ({exc.msg})") from None
        return
    if isinstance(document, list):
        yield from document
    elif isinstance(document, dict) and isinstance(document.get("logs"), list):
        yield from document["logs"]
    else:
        yield document


def parse_time_ns(value: object) -> int | None:
    """Parse an Auth0 ISO-8601 ``date`` to UNIX nanoseconds (``None`` when absent or malformed)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    nanos = int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000
    # OTLP timestamps are unsigned 64-bit nanoseconds since 1970: a date outside that range is no date.
    return nanos if 0 < nanos < 2**64 else None
