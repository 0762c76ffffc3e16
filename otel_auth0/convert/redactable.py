"""The table of attribute names ``processors.redact.fields`` may name: a leaf of ``convert`` (attribute
tables only), so the configuration can check names without importing the processors."""

from __future__ import annotations

from collections.abc import Iterable

from otel_auth0.convert.attributes import CLASSIFICATION_KEYS, LOG_ATTRIBUTE_KEYS
from otel_auth0.convert.cloudevents import CLOUDEVENT_ATTRIBUTE_KEYS
from otel_auth0.convert.spans import SPAN_ATTRIBUTE_KEYS

REDACTABLE_KEYS = (LOG_ATTRIBUTE_KEYS | SPAN_ATTRIBUTE_KEYS | CLOUDEVENT_ATTRIBUTE_KEYS) - CLASSIFICATION_KEYS


def unknown_fields(fields: Iterable[str]) -> list[str]:
    """The entries that name no redactable attribute (``prefix.*`` must match at least one)."""
    unknown = []
    for field in fields:
        if field.endswith(".*"):
            prefix = field[:-1]
            if not any(key.startswith(prefix) for key in REDACTABLE_KEYS):
                unknown.append(field)
        elif field not in REDACTABLE_KEYS:
            unknown.append(field)
    return unknown
