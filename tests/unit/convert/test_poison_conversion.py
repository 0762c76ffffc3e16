"""Conversion never raises on valid JSON: lone surrogates, odd types and huge values are normalised."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.logs.v1.logs_pb2 import ScopeLogs

from otel_auth0.convert.events import loads, normalize_event, parse_time_ns
from otel_auth0.convert.mapping import EventConverter

CONVERTER = EventConverter("tenant")
LOG_ID = "90020261129000000" + "1" * 39


def convert(text: str) -> ScopeLogs:
    converted = CONVERTER.convert(normalize_event(loads(text)))
    return ScopeLogs.FromString(converted.logs)


@pytest.mark.parametrize(
    "fields",
    [
        '"description": "\\ud800 lone high surrogate"',
        '"details": {"body": "\\udfff", "\\ud83d": 1}',
        '"user_id": "auth0|\\ud800", "ip": "\\ud800"',
        '"location_info": {"latitude": 1e400, "longitude": ' + "9" * 400 + "}",
        '"user_id": ' + "9" * 400,
        '"details": {"initiatedAt": ' + "9" * 40 + ', "completedAt": 1}',
        '"isMobile": "yes", "scope": {"a": 1}, "details": [1, {"x": null}], "date": "9999-99-99"',
        '"date": "0001-01-01T00:00:00Z"',
        '"date": "9999-12-31T23:59:59Z"',
    ],
)
def test_odd_valid_json_converts(fields: str) -> None:
    record = convert(f'{{"log_id": "{LOG_ID}", "type": "s", {fields}}}').log_records[0]
    assert record.event_name == "auth0.log.s"


def test_a_lone_surrogate_becomes_the_replacement_character() -> None:
    record = convert(f'{{"log_id": "{LOG_ID}", "type": "s", "description": "a\\ud800b"}}').log_records[0]
    assert record.body.string_value == "a\ufffdb"


def test_dates_outside_the_otlp_range_fall_back_to_the_observed_time() -> None:
    assert parse_time_ns("0001-01-01T00:00:00Z") is None
    assert parse_time_ns("2600-01-01T00:00:00Z") is None
    assert parse_time_ns("2026-01-01T00:00:00Z") == 1767225600 * 10**9


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63)
    | st.floats()
    | st.text()
    | st.sampled_from(["\ud800", "x\udfff", "1.2.3.4"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "description",
                "details",
                "ip",
                "user_id",
                "date",
                "scope",
                "location_info",
                "client_id",
                "user_agent",
                "isMobile",
            ]
        ),
        JSON_VALUES,
    )
)
def test_any_json_event_converts(fields: dict[str, Any]) -> None:
    text = json.dumps({"log_id": LOG_ID, "type": "f", **fields})  # surrogates travel escaped
    assert convert(text).log_records
