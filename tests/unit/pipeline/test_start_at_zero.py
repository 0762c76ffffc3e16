"""Counters whose attribute sets are known at start-up exist at 0 from then on (OTLP export too)."""

from __future__ import annotations

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from otel_auth0.convert.catalog import RATE_LIMIT_CODES
from otel_auth0.instruments import Instruments


def _points(reader: InMemoryMetricReader) -> dict[str, dict[frozenset[tuple[str, object]], float]]:
    data = reader.get_metrics_data()
    assert data is not None
    out: dict[str, dict[frozenset[tuple[str, object]], float]] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    value = getattr(point, "value", None)
                    if value is not None:
                        out.setdefault(metric.name, {})[frozenset((point.attributes or {}).items())] = value
    return out


def test_known_attribute_sets_start_at_zero() -> None:
    reader = InMemoryMetricReader()
    instruments = Instruments(MeterProvider(metric_readers=[reader]).get_meter("test"))
    instruments.start_at_zero(
        ["otlp", "file"], ["logs_api", "log_stream"], ["timeout"], sorted(RATE_LIMIT_CODES)
    )
    points = _points(reader)
    exporter = frozenset({("otel_auth0.exporter", "otlp")})
    assert points["otel_auth0.exporter.sent_log_records"][exporter] == 0
    assert points["otel_auth0.exporter.send_failed_spans"][exporter] == 0
    per_signal = frozenset({("otel_auth0.exporter", "file"), ("otel_auth0.signal", "spans")})
    assert points["otel_auth0.export.failures"][per_signal] == 0
    receiver = frozenset({("otel_auth0.receiver", "log_stream")})
    for name in (
        "otel_auth0.queue.refused",
        "otel_auth0.receiver.events",
        "otel_auth0.receiver.refused_log_records",
    ):
        assert points[name][receiver] == 0
    assert points["otel_auth0.queue.dropped"][frozenset()] == 0
    assert points["auth0.probe.errors"] == {frozenset({("error.type", "timeout")}): 0}
    rate_limited = points["auth0.rate_limit.events"]
    assert {dict(key)["auth0.log.type"] for key in rate_limited} == RATE_LIMIT_CODES
    assert set(rate_limited.values()) == {0}


def test_a_later_event_counts_on_the_same_series() -> None:
    reader = InMemoryMetricReader()
    instruments = Instruments(MeterProvider(metric_readers=[reader]).get_meter("test"))
    instruments.start_at_zero(["otlp"], ["logs_api"])
    instruments.queue_refused.add(1, {"otel_auth0.receiver": "logs_api"})
    assert _points(reader)["otel_auth0.queue.refused"] == {
        frozenset({("otel_auth0.receiver", "logs_api")}): 1
    }
