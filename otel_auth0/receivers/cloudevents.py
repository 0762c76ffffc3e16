"""Recognising a CloudEvent (what Auth0 Event Streams deliver) where Auth0 log items are expected."""

from __future__ import annotations

# The context attributes every CloudEvent has (CloudEvents 1.0, "Required Attributes").
REQUIRED = ("specversion", "type", "id", "source")


def is_cloudevent(item: object) -> bool:
    """Whether ``item`` is a structured-mode CloudEvent: an object with string ``specversion``,
    ``type``, ``id`` and ``source``."""
    return isinstance(item, dict) and all(isinstance(item.get(key), str) for key in REQUIRED)


def describe_cloudevent(item: object) -> str:
    """``a CloudEvent (Auth0 Event Streams) of type 'user.created'`` (short, for reasons and dead letters)."""
    kind = item.get("type") if isinstance(item, dict) else None
    return f"a CloudEvent (Auth0 Event Streams) of type {str(kind)[:100]!r}"
