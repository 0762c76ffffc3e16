"""``otel-auth0 run`` against an OTLP/HTTP backend of the test's own that misbehaves (issue 25): a huge
``Retry-After`` is capped and never ends the export worker, a trickled answer is a failed attempt
bounded by ``timeout``, a redirect is not followed (so no other origin ever sees a record or an API
key), and the endpoint's credentials never reach the log. After each, once the backend is healthy,
every event arrives — in the same process. Real processes, real loopback sockets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.log_stream_process import (
    as_array,
    free_port,
    items,
    post_items,
    running_collector,
    stream_config,
    write_config,
)
from tests.support.hostile_backend import HostileBackend, hostile_backend

pytestmark = pytest.mark.integration

SECRETS = {"x-honeycomb-team": "HONEY-SECRET-KEY", "dd-api-key": "DD-SECRET-KEY"}


def _config(tmp_path: Path, port: int, health_port: int, endpoint: str, **otlp: Any) -> Path:
    config = {
        "state_dir": str(tmp_path / "state"),
        "receivers": {"log_stream": stream_config(port)},
        "exporters": {
            "otlp": {"endpoint": endpoint, "protocol": "http/protobuf", "headers": SECRETS, **otlp}
        },
        "telemetry": {
            "listen": f"127.0.0.1:{health_port}",
            "health": {"exporter_failing_for": "1s"},
        },
    }
    return write_config(tmp_path / "config.yaml", config)


def _readyz_reasons(health_port: int) -> list[str]:
    try:
        answer = httpx.get(f"http://127.0.0.1:{health_port}/readyz", timeout=5)
    except httpx.HTTPError:
        return []
    return list(answer.json().get("reasons", [])) if answer.status_code == 503 else []


def _wait_reason(backend: HostileBackend, health_port: int, fragment: str) -> None:
    backend.wait_for(lambda: any(fragment in reason for reason in _readyz_reasons(health_port)))


@pytest.mark.parametrize("retry_after", ["Fri, 31 Dec 9999 23:59:59 GMT", "9999999999"])
def test_a_huge_retry_after_is_capped_and_every_event_arrives_after_recovery(
    tmp_path: Path, retry_after: str
) -> None:
    port, health_port = free_port(), free_port()
    with hostile_backend() as backend:
        backend.set(mode="retry_after", retry_after=retry_after)
        # Credentials in the endpoint's URL must never be logged (issue 25.13).
        endpoint = backend.url.replace("http://", "http://probe-user:URL-PASSWORD-SECRET@")
        path = _config(tmp_path, port, health_port, endpoint, max_retry_wait="3s", timeout="5s")
        events = items(40)
        with running_collector(path, tmp_path / "collector.log", port) as collector:
            assert post_items(collector.stream_url, as_array(events)).status_code == 200
            backend.wait_for(lambda: backend.answered("retry_after") >= 2)  # the worker tried again
            # While it waits out the (capped) announced delay, longer than exporter_failing_for,
            # /readyz says so.
            _wait_reason(backend, health_port, "as the backend asked")
            backend.set(mode="healthy")
            backend.wait_for(lambda: set(backend.log_ids()) >= {e["log_id"] for e in events})
            assert collector.process.poll() is None  # the same process: no restart was needed
            log = collector.stderr_text()
    assert sorted(backend.log_ids()) == sorted(e["log_id"] for e in events)
    assert "max_retry_wait" in log
    assert "Traceback" not in log
    assert "URL-PASSWORD-SECRET" not in log and "probe-user" not in log


def test_a_trickling_answer_is_a_failed_attempt_and_every_event_arrives_after_recovery(
    tmp_path: Path,
) -> None:
    port, health_port = free_port(), free_port()
    with hostile_backend() as backend:
        backend.set(mode="trickle", trickle_every=1.0)
        path = _config(tmp_path, port, health_port, backend.url, timeout="3s")
        events = items(30)
        with running_collector(path, tmp_path / "collector.log", port) as collector:
            assert post_items(collector.stream_url, as_array(events)).status_code == 200
            # Each byte comes within the per-read timeout, yet the attempt ends at its deadline and is
            # tried again; /readyz sees the failing exporter.
            backend.wait_for(lambda: backend.answered("trickle") >= 3)
            _wait_reason(backend, health_port, "exporter otlp has been failing")
            backend.set(mode="healthy")
            backend.wait_for(lambda: set(backend.log_ids()) >= {e["log_id"] for e in events})
            log = collector.stderr_text()
    assert sorted(backend.log_ids()) == sorted(e["log_id"] for e in events)
    assert "no complete answer within 3s (exporters.otlp.timeout)" in log


def test_a_redirect_to_another_origin_is_not_followed(tmp_path: Path) -> None:
    port, health_port = free_port(), free_port()
    with hostile_backend() as backend, hostile_backend() as elsewhere:
        backend.set(mode="redirect", status=307, location=f"{elsewhere.url}/v1/logs")
        path = _config(tmp_path, port, health_port, backend.url)
        events = items(20)
        with running_collector(path, tmp_path / "collector.log", port) as collector:
            assert post_items(collector.stream_url, as_array(events)).status_code == 200
            backend.wait_for(lambda: backend.answered("redirect") >= 3)  # retried, never followed
            backend.set(mode="healthy")
            backend.wait_for(lambda: set(backend.log_ids()) >= {e["log_id"] for e in events})
            log = collector.stderr_text()
        # The second origin received nothing at all: no record, no API key.
        assert elsewhere.recorded.requests == 0
        assert elsewhere.recorded.headers == []
    assert sorted(backend.log_ids()) == sorted(e["log_id"] for e in events)
    assert f"redirects to {elsewhere.url}" in log
    assert not any(secret in log for secret in SECRETS.values())
