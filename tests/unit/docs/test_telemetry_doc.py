"""docs/telemetry.md documents every metric otel_auth0 creates and every attribute the mapper emits."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.sdk.metrics import MeterProvider

from otel_auth0.convert.attributes import LOG_ATTRIBUTE_KEYS
from otel_auth0.convert.spans import OTHER_PROMPT_SPAN, SPAN_ATTRIBUTE_KEYS, UNKNOWN_TYPE_SPAN
from otel_auth0.instruments import Instruments

TELEMETRY_DOC = Path(__file__).parents[3] / "docs" / "telemetry.md"


def documented(name: str) -> bool:
    return f"`{name}`" in TELEMETRY_DOC.read_text(encoding="utf-8")


def metric_names() -> list[str]:
    instruments = Instruments(MeterProvider().get_meter("doc-check"))
    names = [getattr(value, "name", None) for value in vars(instruments).values()]
    return sorted(name for name in names if isinstance(name, str))


def test_the_instruments_are_found() -> None:
    assert {"auth0.log.events", "auth0.transaction.duration", "otel_auth0.queue.size"} <= set(metric_names())


@pytest.mark.parametrize("name", metric_names())
def test_every_metric_is_documented(name: str) -> None:
    assert documented(name), f"metric {name} is missing from docs/telemetry.md"


@pytest.mark.parametrize("key", sorted(LOG_ATTRIBUTE_KEYS | SPAN_ATTRIBUTE_KEYS))
def test_every_attribute_the_mapper_can_emit_is_documented(key: str) -> None:
    assert documented(key), f"attribute {key} is missing from docs/telemetry.md"


@pytest.mark.parametrize(
    "name", [UNKNOWN_TYPE_SPAN, OTHER_PROMPT_SPAN, "auth0.log.<code>", "auth0.prompt.<name>"]
)
def test_span_names_are_documented(name: str) -> None:
    assert documented(name)
