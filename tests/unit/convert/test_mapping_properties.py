"""Property-based: events generated from every Auth0 log schema map without raising, to a record with
the catalog's type, category, outcome and severity, and spans that are consistent with it."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from hypothesis_jsonschema import from_schema

from otel_auth0.config import RedactConfig, TelemetryConfig
from otel_auth0.convert.attributes import LOG_ATTRIBUTE_KEYS
from otel_auth0.convert.catalog import lookup
from otel_auth0.convert.events import normalize_event
from otel_auth0.convert.mapping import EventConverter
from otel_auth0.convert.spans import SPAN_ATTRIBUTE_KEYS
from otel_auth0.processors.redact import Redactor
from tests.shared_data import shared_data_dir
from tests.support.decoded import attrs, log_of, spans_of

SCHEMA_DIR = ("data", "auth0-log-schemas", "schemas", "log-types")
DEFAULT_EXAMPLES = 3
SLOW_EXAMPLES = 40
OBSERVED_NS = 1_800_000_000_000_000_000

CONVERTERS = (
    EventConverter(tenant="fuzz"),
    EventConverter(tenant="fuzz", telemetry=TelemetryConfig(spans="all", max_attribute_length=64)),
    EventConverter(
        tenant="fuzz",
        redactor=Redactor(
            RedactConfig(fields=["user.name", "user.email", "client.address", "user.id", "geo.*"], salt="k")
        ),
    ),
)


def _schema_params() -> list[Any]:
    root = shared_data_dir()
    directory = root.joinpath(*SCHEMA_DIR) if root is not None else None
    if directory is None or not directory.is_dir():
        reason = "shared reference data (../shared/data/auth0-log-schemas) not found"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    return [
        pytest.param(path, id=path.name.removesuffix(".schema.json")) for path in sorted(directory.iterdir())
    ]


SCHEMAS = _schema_params()


def _closed(node: Any) -> Any:
    """The schema with undeclared properties forbidden: much faster to generate (the default run)."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _closed(value)
    elif isinstance(node, list):
        for value in node:
            _closed(value)
    return node


@functools.cache
def _strategy(path: Path, closed: bool) -> tuple[str, SearchStrategy[Any]]:
    schema = json.loads(path.read_text(encoding="utf-8"))
    return schema["properties"]["type"]["const"], from_schema(_closed(schema) if closed else schema)


def _check_schema(path: Path, examples: int, closed: bool) -> None:
    code, events = _strategy(path, closed)
    expected = lookup(code)

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(events, st.booleans())
    def check(event: dict[str, Any], wrapped: bool) -> None:
        item = {"log_id": event["log_id"], "data": event} if wrapped else event
        normalized = normalize_event(item)
        for converter in CONVERTERS:
            converted = converter.convert(normalized, OBSERVED_NS)
            record = log_of(converted)
            attributes = attrs(record)
            assert attributes["auth0.log.type"] == code
            assert attributes["auth0.log.category"] == expected.category
            assert attributes["auth0.log.outcome"] == expected.outcome
            assert record.severity_number == expected.severity_number
            assert record.event_name == f"auth0.log.{code}"
            assert set(attributes) <= LOG_ATTRIBUTE_KEYS
            spans = spans_of(converted)
            assert all(set(attrs(span)) <= SPAN_ATTRIBUTE_KEYS for span in spans)
            if converter.telemetry.spans == "all":
                assert spans
            if spans:
                assert (record.trace_id, record.span_id) == (spans[0].trace_id, spans[0].span_id)
                assert any(record.trace_id) and len(record.trace_id) == 16
                for span in spans:
                    assert span.trace_id == record.trace_id
                    assert 0 <= span.start_time_unix_nano <= span.end_time_unix_nano
                assert all(child.parent_span_id == spans[0].span_id for child in spans[1:])

    check()


@pytest.mark.parametrize("path", SCHEMAS)
def test_events_of_every_schema_map_to_their_catalog_entry(path: Path) -> None:
    _check_schema(path, DEFAULT_EXAMPLES, closed=True)


@pytest.mark.slow
@pytest.mark.parametrize("path", SCHEMAS)
def test_events_of_every_schema_map_to_their_catalog_entry_long_run(path: Path) -> None:
    """Open schemas: arbitrary undeclared properties as well."""
    _check_schema(path, SLOW_EXAMPLES, closed=False)
