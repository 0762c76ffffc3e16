"""Issue 20.11: the log record's body is the event's description, or the catalog's name of its type when
the event has none (``s`` has no description), never empty."""

from __future__ import annotations

from typing import Any

import pytest

from otel_auth0.config import RedactConfig
from otel_auth0.convert.catalog import ALL_TYPES
from otel_auth0.convert.events import normalize_event
from otel_auth0.convert.mapping import EventConverter
from otel_auth0.processors.redact import build_redactor
from tests.support.decoded import log_of


def body_of(item: dict[str, Any], converter: EventConverter | None = None) -> str:
    record = log_of((converter or EventConverter()).convert(normalize_event(item)))
    assert record.body.WhichOneof("value") == "string_value", "the record has no body"
    return str(record.body.string_value)


def test_an_event_without_description_gets_its_type_name() -> None:
    assert body_of({"log_id": "1", "type": "s", "date": "2026-01-01T00:00:00Z"}) == "Login succeeded"


@pytest.mark.parametrize("description", [None, "", "   "])
def test_empty_or_missing_description_falls_back(description: str | None) -> None:
    item: dict[str, Any] = {"log_id": "1", "type": "ssa"}
    if description is not None:
        item["description"] = description
    assert body_of(item) == ALL_TYPES["ssa"].label


def test_a_description_is_kept() -> None:
    assert body_of({"log_id": "1", "type": "f", "description": "Wrong password"}) == "Wrong password"


def test_an_unknown_type_names_its_code() -> None:
    assert body_of({"log_id": "1", "type": "brand_new"}) == "Unknown log type (brand_new)"


def test_every_catalog_type_has_a_readable_body() -> None:
    for code, log_type in ALL_TYPES.items():
        body = body_of({"log_id": "1", "type": code})
        assert body == log_type.label and body.strip(), code


def test_the_fallback_body_goes_through_redaction() -> None:
    redactor = build_redactor(RedactConfig(fields=["user.name"], method="mask"))
    converter = EventConverter(redactor=redactor)
    assert body_of({"log_id": "1", "type": "s", "user_name": "alice"}, converter) == "Login succeeded"
