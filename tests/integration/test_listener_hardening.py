"""The Log Stream listener under hostile clients and poison items — a real ``otel-auth0 run`` process,
real sockets: idle sockets never lock Auth0 out, slow clients are cut, one bad item never holds back
its batch."""

from __future__ import annotations

import json
import resource
import socket
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.log_stream_process import (
    TOKEN,
    as_array,
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

IDLE_CONNECTIONS = 1000


IDLE_HEADER_TIMEOUT = 120.0


@pytest.fixture
def collector(
    request: pytest.FixtureRequest, tmp_path: Path, otlp_receiver: OtlpReceiver
) -> Iterator[tuple[str, Path, Path]]:
    """A collector with short header/body timeouts (or the ``header_timeout`` the test asks for through
    indirect parametrisation) and a small connection cap: (URL, stderr, state)."""
    port = free_port()
    header_timeout = getattr(request, "param", "3s")
    limits = {"header_timeout": header_timeout, "body_timeout": "2s", "max_connections": 64}
    config = {
        "state_dir": str(tmp_path / "state"),
        "receivers": {"log_stream": stream_config(port, **limits)},
        "exporters": {"otlp": otlp_exporter(otlp_receiver.http_endpoint)},
    }
    path = write_config(tmp_path / "config.yaml", config)
    stderr = tmp_path / "collector.log"
    with running_collector(path, stderr, port) as process:
        yield process.stream_url, stderr, tmp_path / "state" / "queue.sqlite3"
        assert process.process.poll() is None, "the collector died"


def ensure_open_files(count: int) -> None:
    """Raise this process's soft open-file limit so ``count`` client sockets fit (skip when impossible)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count + 256
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"the hard open-file limit ({hard}) is below {wanted}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def connect(url: str) -> socket.socket:
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    return socket.create_connection((host, int(port)), timeout=30)


# The idle sockets would hold their slots for two minutes: a POST answered before then was served by
# closing idle connections at the cap, not by waiting for them to time out.
@pytest.mark.parametrize("collector", [f"{IDLE_HEADER_TIMEOUT:g}s"], indirect=True)
def test_a_thousand_idle_connections_do_not_stop_a_legitimate_post(
    collector: tuple[str, Path, Path], otlp_receiver: OtlpReceiver
) -> None:
    url, stderr, _ = collector
    ensure_open_files(IDLE_CONNECTIONS)
    idle: list[socket.socket] = []
    try:
        for index in range(IDLE_CONNECTIONS):
            sock = connect(url)
            if index % 2:  # half send part of a request without a token, half send nothing
                sock.sendall(b"POST /auth0/logs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n")
            idle.append(sock)
        batch = items(5)
        started = time.monotonic()
        response = post_items(url, as_array(batch))
        elapsed = time.monotonic() - started
        assert response.status_code == 200, response.text
        assert elapsed < IDLE_HEADER_TIMEOUT, f"the legitimate POST waited {elapsed:.1f}s for idle sockets"
        expected = {item["log_id"] for item in batch}
        otlp_receiver.wait_for(lambda: expected <= set(otlp_receiver.log_attribute_values("auth0.log.id")))
    finally:
        for sock in idle:
            sock.close()
    log = stderr.read_text()
    assert "Too many open files" not in log
    # One line per incident class, not one per connection.
    assert 1 <= log.count("closing the longest-idle ones") <= 2


def test_headers_must_arrive_within_header_timeout(collector: tuple[str, Path, Path]) -> None:
    url, _, _ = collector
    with connect(url) as sock:
        sock.sendall(b"POST /auth0/logs HTTP/1.1\r\nHost: x\r\n")  # and never the rest
        assert sock.recv(1024) == b"", "the server kept a connection without headers open"


def test_a_body_trickling_in_gets_408(collector: tuple[str, Path, Path]) -> None:
    url, _, database = collector
    body = as_array(items(1))
    with connect(url) as sock:
        sock.sendall(
            b"POST /auth0/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: {TOKEN}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        )
        answer = b""
        for byte in body:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.5)
            sock.settimeout(0.01)
            try:
                answer += sock.recv(4096)
            except TimeoutError:
                continue
            break
        sock.settimeout(30)
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM seen").fetchone()[0] == 0


def test_a_batch_with_bad_items_is_accepted_and_the_rest_arrive_exactly_once(
    collector: tuple[str, Path, Path], otlp_receiver: OtlpReceiver
) -> None:
    url, stderr, database = collector
    batch = items(50)
    batch[17]["data"]["description"] = "\ud800 lone surrogate"  # valid JSON, normalised on conversion
    not_an_event = batch[30]
    not_an_event["data"] = {"no": "type"}
    body = json.dumps(batch).encode()  # ensure_ascii: the surrogate travels as \ud800
    first = post_items(url, body)
    assert first.status_code == 200, first.text
    assert first.json() == {"accepted": 49, "duplicates": 0, "rejected": 1}
    again = post_items(url, body)  # what a retry would bring: nothing new, the bad item parked again
    assert again.json() == {"accepted": 0, "duplicates": 49, "rejected": 1}
    expected = {item["log_id"] for item in batch if item is not not_an_event}
    otlp_receiver.wait_for(lambda: expected <= set(otlp_receiver.log_attribute_values("auth0.log.id")))
    counts = Counter(str(value) for value in otlp_receiver.log_attribute_values("auth0.log.id"))
    assert set(counts) == expected and set(counts.values()) == {1}
    with sqlite3.connect(database) as db:
        parked = db.execute("SELECT log_id, reason FROM dead_letters").fetchall()
    assert parked == [(not_an_event["log_id"], "bad_item")] * 2
    log = stderr.read_text()
    assert f"event {not_an_event['log_id']} parked" in log and "Traceback" not in log
