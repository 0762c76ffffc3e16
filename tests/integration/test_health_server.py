"""``telemetry.listen``: /healthz, /readyz and /metrics of ``otel-auth0 run`` (real processes and sockets)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from otel_auth0.local_ports import free_port
from tests.collector_process import poller_only_config, running_collector, write_config
from tests.integration.log_stream_process import as_array, items, otlp_exporter, post_items, stream_config
from tests.otlp_receiver import OtlpReceiver, wait_for

pytestmark = pytest.mark.integration

TELEMETRY_DOC = Path(__file__).resolve().parents[2] / "docs" / "telemetry.md"
# Documented self-metrics that cannot be at 0 at start: their attribute values are only known when
# they occur (error.type, http.response.status_code), or they record a moment (last_success).
NOT_AT_START = {
    "otel_auth0.receiver.errors",
    "otel_auth0.receiver.requests",
    "otel_auth0.receiver.last_success",
    # Only with receivers.event_stream.gap_fill (the counter at 0 from start-up, the gauge after a look).
    "otel_auth0.event_stream.failed_deliveries",
    "otel_auth0.event_stream.redeliveries",
}


def _get(port: int, path: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10.0)


def _answers(port: int, path: str, status: int) -> httpx.Response | None:
    try:
        response = _get(port, path)
    except httpx.HTTPError:
        return None
    return response if response.status_code == status else None


def _samples(text: str) -> dict[str, list[float]]:
    """Prometheus text: metric name -> sample values."""
    out: dict[str, list[float]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            match = re.match(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)$", line)
            assert match, line
            out.setdefault(match.group(1), []).append(float(match.group(2)))
    return out


def _documented_self_metrics() -> list[str]:
    text = TELEMETRY_DOC.read_text(encoding="utf-8")
    names = set(re.findall(r"^\| `(otel_auth0\.[a-z_.]+)` \|", text, re.MULTILINE))
    # Lease metrics exist only on the PostgreSQL backend (tests/integration/test_fleet.py checks them).
    return sorted(name for name in names if not name.startswith("otel_auth0.lease."))


def test_poller_only_deployment_answers_health_readiness_and_metrics_at_zero(tmp_path: Path) -> None:
    port = free_port()
    path = poller_only_config(tmp_path, port, {"otlp": otlp_exporter(f"http://127.0.0.1:{free_port()}")})
    with running_collector(path, tmp_path / "stderr.log") as collector:
        assert wait_for(lambda: _answers(port, "/healthz", 200), timeout=60), collector.stderr_text()
        assert _get(port, "/healthz").json() == {"status": "ok"}
        ready = _get(port, "/readyz")
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}
        metrics = _get(port, "/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        samples = _samples(metrics.text)
    expected = {
        "otel_auth0_export_records_total",
        "otel_auth0_export_failures_total",
        "otel_auth0_export_rejected_total",
        "otel_auth0_export_retries_total",
        "otel_auth0_exporter_sent_log_records_total",
        "otel_auth0_exporter_sent_spans_total",
        "otel_auth0_exporter_send_failed_log_records_total",
        "otel_auth0_exporter_send_failed_spans_total",
        "otel_auth0_receiver_events_total",
        "otel_auth0_receiver_duplicates_total",
        "otel_auth0_receiver_refused_log_records_total",
        "otel_auth0_queue_refused_total",
        "otel_auth0_queue_dropped_total",
    }
    for name in expected:
        assert samples.get(name) and set(samples[name]) == {0.0}, f"{name}: {samples.get(name)}"
    gauges = (
        "otel_auth0_queue_size",
        "otel_auth0_exporter_queue_size",
        "otel_auth0_queue_oldest_age_seconds",
    )
    for gauge in gauges:
        assert samples.get(gauge) == [0.0], gauge
    assert samples["otel_auth0_exporter_queue_capacity"] == [2_000_000.0]
    documented = _documented_self_metrics()
    assert documented
    for name in documented:
        if name in NOT_AT_START:
            continue
        prometheus = name.replace(".", "_")
        assert any(series.startswith(prometheus) for series in samples), f"{name} not on /metrics at start"
    assert not [name for name in samples if not name.startswith("otel_auth0_")]


def test_readyz_fails_while_the_otlp_endpoint_is_down_and_recovers(tmp_path: Path) -> None:
    port, stream_port = free_port(), free_port()
    with OtlpReceiver() as backend:
        config = {
            "state_dir": str(tmp_path / "state"),
            "telemetry": {"listen": f"127.0.0.1:{port}", "health": {"exporter_failing_for": "1s"}},
            "queue": {"max_backoff": "1s"},
            "receivers": {"log_stream": stream_config(stream_port)},
            "exporters": {"otlp": otlp_exporter(backend.http_endpoint)},
        }
        path = write_config(tmp_path / "config.yaml", config)
        with running_collector(path, tmp_path / "stderr.log", stream_port) as collector:
            assert post_items(collector.stream_url, as_array(items(3))).status_code == 200
            wait_for(lambda: len(backend.log_records()) >= 3, timeout=60)
            assert wait_for(lambda: _answers(port, "/readyz", 200), timeout=60)

            backend.stop()
            assert post_items(collector.stream_url, as_array(items(2))).status_code == 200
            down = wait_for(lambda: _answers(port, "/readyz", 503), timeout=120)
            assert down is not None
            body = down.json()
            assert body["status"] == "not_ready"
            assert any(reason.startswith("exporter otlp has been failing") for reason in body["reasons"])
            assert _get(port, "/healthz").status_code == 200  # alive, just not ready
            failed = _samples(_get(port, "/metrics").text)
            assert failed["otel_auth0_exporter_send_failed_log_records_total"][0] >= 2

            backend.restart()
            assert wait_for(lambda: _answers(port, "/readyz", 200), timeout=120)
            wait_for(lambda: len(backend.log_records()) >= 5, timeout=60)
            sent = _samples(_get(port, "/metrics").text)["otel_auth0_exporter_sent_log_records_total"]
            assert sent[0] >= 5


def test_readyz_names_a_poller_without_success(tmp_path: Path) -> None:
    port = free_port()
    exporters = {"file": {"path": str(tmp_path / "out.jsonl")}}
    path = poller_only_config(tmp_path, port, exporters, "500ms", health={"receiver_stale_after": "2s"})
    with running_collector(path, tmp_path / "stderr.log"):
        down = wait_for(lambda: _answers(port, "/readyz", 503), timeout=120)
        assert down is not None
        reasons = down.json()["reasons"]
        expected = "receiver notices has had no success for"
        assert any(reason.startswith(expected) for reason in reasons), reasons
