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
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000
