"""What a real ``otel-auth0 run`` answers to payloads that are not plain Log Stream batches, and what its
/metrics shows for them (the series deploy/prometheus/alerts.yml alerts on)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.log_stream_process import (
    CollectorProcess,
    as_lines,
    free_port,
    items,
    otlp_exporter,
    post_items,
    running_collector,
    stream_config,
    write_config,
)
from tests.otlp_receiver import OtlpReceiver
from tests.otlp_receiver.records import wait_for

pytestmark = pytest.mark.integration

CLOUDEVENT = {
    "specversion": "1.0",
    "type": "com.auth0.user.created",
    "source": "urn:auth0:example.auth0.com",
    "id": "evt_1",
    "data": {"object": {"user_id": "auth0|1"}},
}


@pytest.fixture
def collector(tmp_path: Path, otlp_receiver: OtlpReceiver) -> Iterator[tuple[CollectorProcess, str]]:
    port, telemetry = free_port(), free_port()
    config = {
        "state_dir": str(tmp_path / "state"),
        "receivers": {"log_stream": stream_config(port)},
        "exporters": {"otlp": otlp_exporter(otlp_receiver.http_endpoint)},
        "telemetry": {"listen": f"127.0.0.1:{telemetry}"},
    }
    path = write_config(tmp_path / "config.yaml", config)
    with running_collector(path, tmp_path / "collector.log", port) as process:
        yield process, f"http://127.0.0.1:{telemetry}/metrics"


def _metric(metrics_url: str, name: str, **labels: str) -> float:
    for line in httpx.get(metrics_url, timeout=30).text.splitlines():
        if line.startswith(name + "{") and all(f'{key}="{value}"' in line for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_event_streams_delivery_is_refused_and_a_mixed_batch_parks_it(
    collector: tuple[CollectorProcess, str], otlp_receiver: OtlpReceiver
) -> None:
    process, metrics = collector
    single = post_items(
        process.stream_url,
        json.dumps(CLOUDEVENT).encode(),
        **{"Content-Type": "application/cloudevents+json"},
    )
    assert single.status_code == 422 and "Auth0 Event Streams delivery" in single.json()["reason"]
    batch = items(2)
    mixed = post_items(process.stream_url, json.dumps([CLOUDEVENT, *batch]).encode())
    assert mixed.json() == {"accepted": 2, "duplicates": 0, "rejected": 1}
    labels = {"otel_auth0_receiver": "log_stream"}
    wait_for(
        lambda: (
            _metric(
                metrics, "otel_auth0_receiver_errors_total", error_type="event_streams_delivery", **labels
            )
            >= 1
        ),
        60,
    )
    wait_for(
        lambda: (
            _metric(
                metrics, "otel_auth0_receiver_rejected_events_total", otel_auth0_reason="bad_item", **labels
            )
            >= 1
        ),
        60,
    )
    expected = {item["log_id"] for item in batch}
    otlp_receiver.wait_for(lambda: expected <= set(otlp_receiver.log_attribute_values("auth0.log.id")), 60)


def test_trailing_slash_and_gzip_members(
    collector: tuple[CollectorProcess, str], otlp_receiver: OtlpReceiver
) -> None:
    process, _ = collector
    batch = items(100)
    body = gzip.compress(as_lines(batch[:50])) + gzip.compress(b"\n" + as_lines(batch[50:]))
    response = post_items(process.stream_url + "/", body, **{"Content-Encoding": "gzip"})
    assert response.status_code == 200 and "location" not in response.headers
    assert response.json() == {"accepted": 100, "duplicates": 0, "rejected": 0}
    trailing = post_items(
        process.stream_url, gzip.compress(as_lines(items(1))) + b"junk", **{"Content-Encoding": "gzip"}
    )
    assert trailing.status_code == 400 and "trailing bytes after the gzip stream" in trailing.json()["reason"]
    expected = {item["log_id"] for item in batch}
    otlp_receiver.wait_for(lambda: expected <= set(otlp_receiver.log_attribute_values("auth0.log.id")), 60)
