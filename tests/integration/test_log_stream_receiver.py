"""The log_stream receiver of a real ``otel-auth0 run`` process: formats, status codes, bad-input fuzz."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.log_stream_process import (
    TOKEN,
    CollectorProcess,
    as_array,
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

pytestmark = pytest.mark.integration

MAX_BODY = 64 * 1024


@pytest.fixture(scope="module")
def backend() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def collector(backend: OtlpReceiver, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorProcess]:
    directory = tmp_path_factory.mktemp("log-stream")
    port = free_port()
    config = {
        "state_dir": str(directory / "state"),
        "receivers": {"log_stream": stream_config(port, max_body_bytes=MAX_BODY)},
        "exporters": {"otlp": otlp_exporter(backend.http_endpoint)},
    }
    path = write_config(directory / "config.yaml", config)
    with running_collector(path, directory / "stderr.log", port) as process:
        yield process


def received_ids(backend: OtlpReceiver) -> list[str]:
    return [str(value) for value in backend.log_attribute_values("auth0.log.id")]


def assert_not_enqueued(collector: CollectorProcess, batch: list[dict[str, Any]]) -> None:
    """Posting ``batch`` now enqueues every item: none of it was stored by an earlier request."""
    response = post_items(collector.stream_url, as_array(batch))
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": len(batch), "duplicates": 0, "rejected": 0}


def test_formats_gzip_and_redelivery_arrive_once(collector: CollectorProcess, backend: OtlpReceiver) -> None:
    array, lines, single, zipped, bare = items(3), items(3), items(1), items(4), items(2)
    bodies: list[tuple[bytes, dict[str, str], int]] = [
        (as_array(array), {}, 3),
        (as_lines(lines), {"Content-Type": "application/x-ndjson"}, 3),
        (json.dumps(single[0]).encode(), {}, 1),
        (gzip.compress(as_lines(zipped)), {"Content-Encoding": "gzip"}, 4),
        (as_array([item["data"] for item in bare]), {}, 2),
    ]
    for body, headers, count in bodies:
        response = post_items(collector.stream_url, body, **headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"accepted": count, "duplicates": 0, "rejected": 0}
    # Auth0 redelivers at least once: the same batch again is acknowledged and skipped.
    again = post_items(collector.stream_url, as_array(array), token=f"Bearer {TOKEN}")
    assert again.json() == {"accepted": 0, "duplicates": 3, "rejected": 0}
    expected = {item["log_id"] for item in [*array, *lines, *single, *zipped, *bare]}
    backend.wait_for(lambda: expected <= set(received_ids(backend)), timeout=30)
    ids = [log_id for log_id in received_ids(backend) if log_id in expected]
    assert sorted(ids) == sorted(expected)


def test_status_codes_and_nothing_enqueued_on_rejection(collector: CollectorProcess) -> None:
    batch = items(3)
    body = as_array(batch)
    assert post_items(collector.stream_url, body, token="wrong").status_code == 401
    anonymous = httpx.post(collector.stream_url, content=body, headers={"Content-Type": "application/json"})
    assert anonymous.status_code == 401
    assert post_items(collector.stream_url, body, **{"Content-Type": "text/xml"}).status_code == 415
    assert post_items(collector.stream_url, body, **{"Content-Encoding": "br"}).status_code == 415
    assert post_items(collector.stream_url, b"[" + b" " * MAX_BODY + b"]").status_code == 413
    bomb = gzip.compress(b"[" + b" " * (MAX_BODY * 4) + b"]")
    assert post_items(collector.stream_url, bomb, **{"Content-Encoding": "gzip"}).status_code == 413
    assert post_items(collector.stream_url, body[:-5]).status_code == 400
    assert post_items(collector.stream_url, b"\xff\xfe garbage").status_code == 400
    assert_not_enqueued(collector, batch)
    health = httpx.get(f"{collector.base_url}/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def may_be_an_event(value: Any) -> bool:
    """Whether ``value`` or its ``data`` has a non-empty string ``type`` (could be a valid item)."""
    candidates = [value, value.get("data")] if isinstance(value, dict) else []
    return any(isinstance(c, dict) and isinstance(c.get("type"), str) and c["type"] for c in candidates)


_bad_items = st.one_of(
    _json,
    st.dictionaries(st.sampled_from(["log_id", "data", "date", "type", "x"]), _json, max_size=4),
    st.builds(lambda log_id, data: {"log_id": log_id, "data": data}, _json, _json),
    st.builds(lambda kind: {"log_id": "9" * 56, "data": {"type": kind}}, _json),
).filter(lambda value: not may_be_an_event(value))
_bodies = st.one_of(
    st.binary(max_size=300),
    _json.map(lambda value: json.dumps(value).encode()),
    st.lists(_json, max_size=5).map(lambda values: "\n".join(json.dumps(v) for v in values).encode()),
    st.binary(max_size=200).map(lambda raw: gzip.compress(raw)),
)
_headers = st.fixed_dictionaries(
    {},
    optional={
        "Content-Type": st.sampled_from(["application/json", "text/csv", "application/x-ndjson", "x/y+json"]),
        "Content-Encoding": st.sampled_from(["gzip", "identity", "deflate"]),
    },
)
_FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


def check_fuzzed_body(collector: CollectorProcess, body: bytes, headers: dict[str, str]) -> None:
    response = post_items(collector.stream_url, body, **headers)
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        # JSON is accepted; whatever in it is not an Auth0 event is parked and counted as rejected.
        assert set(response.json()) == {"accepted", "duplicates", "rejected"}
    else:
        assert "reason" in response.json()


def check_bad_batch(collector: CollectorProcess, good: int, bad: Any, position: int) -> None:
    batch = items(good)
    mixed: list[Any] = list(batch)
    mixed.insert(min(position, len(mixed)), bad)
    response = post_items(collector.stream_url, as_array(mixed))
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": good, "duplicates": 0, "rejected": 1}
    again = post_items(collector.stream_url, as_array(batch))
    assert again.json() == {"accepted": 0, "duplicates": good, "rejected": 0}


@settings(_FUZZ, max_examples=60)
@given(body=_bodies, headers=_headers)
def test_fuzzed_bodies_only_4xx(collector: CollectorProcess, body: bytes, headers: dict[str, str]) -> None:
    check_fuzzed_body(collector, body, headers)
    assert collector.process.poll() is None


@settings(_FUZZ, max_examples=30)
@given(good=st.integers(1, 5), bad=_bad_items, at=st.integers(0, 5))
def test_fuzzed_bad_item_is_parked_and_the_rest_kept(
    collector: CollectorProcess, good: int, bad: Any, at: int
) -> None:
    check_bad_batch(collector, good, bad, at)


@pytest.mark.slow
@settings(_FUZZ, max_examples=2000)
@given(body=_bodies, headers=_headers)
def test_fuzzed_bodies_large_run(collector: CollectorProcess, body: bytes, headers: dict[str, str]) -> None:
    check_fuzzed_body(collector, body, headers)
    assert collector.process.poll() is None


@pytest.mark.slow
@settings(_FUZZ, max_examples=1000)
@given(good=st.integers(1, 20), bad=_bad_items, position=st.integers(0, 20))
def test_fuzzed_bad_item_large_run(collector: CollectorProcess, good: int, bad: Any, position: int) -> None:
    check_bad_batch(collector, good, bad, position)


def test_process_still_healthy_after_fuzz(collector: CollectorProcess) -> None:
    assert collector.process.poll() is None
    assert httpx.get(f"{collector.base_url}/healthz").status_code == 200
    assert "Traceback" not in collector.stderr_text()
