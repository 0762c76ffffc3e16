"""Issue 25's acceptance as a soak (``pytest -m slow tests/soak``; ``SOAK_SECONDS``, default 600, and
``SOAK_CONNECTIONS`` per port, default 10,000):
the shipped compose configuration (ports, hosts and paths made local) under the shipped systemd
unit's ``LimitNOFILE``, 10,000 hostile connections on each port of ours (idle, a request line and one
header, endless header lines), an OTLP backend that answers ``Retry-After: 9999999999`` for the first
third, trickles its answer one byte every five seconds for the second and is healthy for the last,
a forged log id and an event dated in the year 2500 posted to the Log Stream. Afterwards every event
that was accepted reaches the backend, the collector's log stays under a few MB, and every ``/readyz``
sample was answered and told the truth (503 naming the exporter once it had failed for
``exporter_failing_for``; 200 once all was delivered). The figures are printed."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from otel_auth0.local_ports import free_port
from otel_auth0_sim.log_ids import LogIdGenerator
from otel_auth0_sim.process import running_simulator

pytestmark = [pytest.mark.slow, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
HOSTILE_PER_PORT = int(os.environ.get("SOAK_CONNECTIONS", "10000"))
TOKEN = "soak-stream-token"
ENDLESS_HEADER_CONNECTIONS = 40  # of each port's hostile connections, the ones that keep sending


class Backend:
    """An OTLP/HTTP backend whose behaviour the test switches: ``retry_after``, ``trickle``, ``healthy``."""

    def __init__(self) -> None:
        self.mode = "retry_after"
        self.log_ids: list[str] = []
        self.lock = threading.Lock()
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if backend.mode == "retry_after":
                    self.send_response(503)
                    self.send_header("Retry-After", "9999999999")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if backend.mode == "trickle":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/x-protobuf")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    with contextlib.suppress(OSError):
                        while backend.mode == "trickle":
                            self.wfile.write(b"\0")
                            self.wfile.flush()
                            time.sleep(5)
                    self.close_connection = True
                    return
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path.endswith("/v1/logs"):
                    request = ExportLogsServiceRequest.FromString(body)
                    ids = [
                        attribute.value.string_value
                        for resource_logs in request.resource_logs
                        for scope in resource_logs.scope_logs
                        for record in scope.log_records
                        for attribute in record.attributes
                        if attribute.key == "auth0.log.id"
                    ]
                    with backend.lock:
                        backend.log_ids.extend(ids)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self) -> set[str]:
        with self.lock:
            return set(self.log_ids)


class HostileLoad:
    """Keeps ``count`` connections open to each port (re-opening those the collector closes): most idle,
    some with a request line and one header, a few sending header lines without end."""

    def __init__(self, ports: list[int], count: int) -> None:
        self.ports = ports
        self.count = count
        self.opened = 0
        self.refused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=120)

    async def _main(self) -> None:
        tasks = [
            asyncio.create_task(self._connection(port, index))
            for port in self.ports
            for index in range(self.count)
        ]
        while not self._stop.is_set():
            await asyncio.sleep(0.5)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _connection(self, port: int, index: int) -> None:
        await asyncio.sleep(index * 0.002)  # ramp up
        while not self._stop.is_set():
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                self.refused += 1
                await asyncio.sleep(1)
                continue
            self.opened += 1
            endless = index < ENDLESS_HEADER_CONNECTIONS
            try:
                if endless or index % 3 == 1:  # a request line and one header, then (maybe) more
                    writer.write(b"POST /auth0/logs HTTP/1.1\r\nHost: x\r\n")
                    await writer.drain()
                while not self._stop.is_set() and not writer.transport.is_closing():
                    if endless:
                        writer.write(b"X-Hostile: " + b"a" * 1000 + b"\r\n")
                        await writer.drain()
                    await asyncio.sleep(0.5)
            except OSError:
                pass
            finally:
                writer.close()
            await asyncio.sleep(0.2)


def shipped_config(tmp: Path, sim: dict[str, Any], stream_port: int, telemetry_port: int) -> Path:
    """deploy/otel-auth0/config.yaml with its hosts, ports and paths made local (the readiness section,
    which names compose services, left out)."""
    text = (REPO / "deploy/otel-auth0/config.yaml").read_text()
    text = text.replace("http://simulator:8443", f"http://{sim['domain']}")
    text = text.replace("0.0.0.0:8383", f"127.0.0.1:{stream_port}")
    text = text.replace("0.0.0.0:9464", f"127.0.0.1:{telemetry_port}")
    text = text.replace("/var/lib/otel-auth0/state", str(tmp / "state"))
    config = yaml.safe_load(text)
    config.pop("readiness", None)
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def unit_nofile() -> int:
    """``LimitNOFILE`` of the shipped systemd unit (1024, the usual default, when it sets none)."""
    unit = (REPO / "deploy/systemd/otel-auth0@.service").read_text()
    found = re.search(r"^LimitNOFILE=(\d+)", unit, flags=re.M)
    return int(found.group(1)) if found else 1024


@contextlib.contextmanager
def collector(config: Path, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    limit = unit_nofile()

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "otel_auth0", "run", "--config", str(config)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=limits,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def post_items(url: str, items: list[dict[str, Any]]) -> int:
    response = httpx.post(url, json=items, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    return response.status_code


@pytest.mark.timeout(SOAK_SECONDS + 1200)
def test_ten_minutes_of_hostility_lose_nothing_and_readyz_tells_the_truth(tmp_path: Path) -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    hostile = min(HOSTILE_PER_PORT, (hard - 2000) // 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    backend = Backend()
    stream_port, telemetry_port = free_port(), free_port()
    stream_url = f"http://127.0.0.1:{stream_port}/auth0/logs"
    sim_args = ["--no-tls", "--events-per-second", "20", "--state-dir", str(tmp_path / "sim")]
    sim_args += ["--log-stream-url", stream_url, "--log-stream-token", TOKEN]
    with running_simulator(*sim_args) as sim:
        config = shipped_config(tmp_path, sim.info, stream_port, telemetry_port)
        env = {
            **os.environ,
            "AUTH0_DOMAIN": sim.info["domain"],
            "AUTH0_SCHEME": "http",
            "AUTH0_LOG_STREAM_TOKEN": TOKEN,
            "OTEL_EXPORTER_OTLP_ENDPOINT": backend.url,
        }
        log = tmp_path / "collector.log"
        samples: list[tuple[float, str, str, str]] = []
        failing_for = 300.0
        with collector(config, env, log):
            readyz = f"http://127.0.0.1:{telemetry_port}/readyz"
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    httpx.get(readyz, timeout=2)
                    break
                time.sleep(0.5)
            load = HostileLoad([stream_port, telemetry_port], hostile)
            load.start()
            started = time.monotonic()
            forged_ids = []
            while (elapsed := time.monotonic() - started) < SOAK_SECONDS:
                phase = "retry_after" if elapsed < SOAK_SECONDS / 3 else "trickle"
                phase = phase if elapsed < 2 * SOAK_SECONDS / 3 else "healthy"
                backend.mode = phase
                if not forged_ids and elapsed > SOAK_SECONDS / 6:
                    forged = "999" + "20260101000000" + "0" * 39
                    future = LogIdGenerator().next_id()
                    items = [
                        {"log_id": log_id, "data": {"log_id": log_id, "type": kind, "date": date}}
                        for log_id, kind, date in (
                            (forged, "s", "2026-12-06T00:00:00Z"),
                            (future, "fp", "2500-01-01T00:00:00Z"),
                        )
                    ]
                    if post_items(stream_url, items) == 200:
                        forged_ids = [forged, future]
                try:
                    answer = httpx.get(readyz, timeout=10)
                    samples.append((elapsed, phase, str(answer.status_code), answer.text[:300]))
                except httpx.HTTPError as error:
                    samples.append((elapsed, phase, "no answer", repr(error)))
                time.sleep(2)
            load.stop()
            backend.mode = "healthy"
            generated = set(httpx.get(f"{sim.base_url}/_sim/log-ids", timeout=30).json()["log_ids"])
            expected = generated | set(forged_ids)
            deadline = time.monotonic() + 600
            while not expected <= backend.received() and time.monotonic() < deadline:
                time.sleep(2)
            final = httpx.get(readyz, timeout=10)
    received = backend.received()
    log_bytes = log.stat().st_size
    failing_from = failing_for + 30  # the backend fails from the start until the last third
    should_fail = [s for s in samples if failing_from <= s[0] < 2 * SOAK_SECONDS / 3]
    figures = {
        "soak_seconds": SOAK_SECONDS,
        "hostile_per_port": hostile,
        "hostile_connections_opened": load.opened,
        "hostile_refused": load.refused,
        "nofile": unit_nofile(),
        "generated": len(generated),
        "forged_and_future_accepted": len(forged_ids),
        "received_unique": len(received),
        "lost": len(expected - received),
        "log_bytes": log_bytes,
        "readyz_samples": len(samples),
        "readyz_unanswered": sum(1 for s in samples if s[2] == "no answer"),
        "readyz_200_while_failing": sum(1 for s in should_fail if s[2] == "200"),
        "final_readyz": final.status_code,
    }
    report = {"figures": figures, "samples": samples}
    (tmp_path / "soak_figures.json").write_text(json.dumps(report, indent=1))
    print("\nsoak figures:", json.dumps(figures))
    assert figures["lost"] == 0
    assert log_bytes < 5 * 1024 * 1024
    assert figures["readyz_unanswered"] == 0
    assert should_fail and figures["readyz_200_while_failing"] == 0
    assert all("exporter" in s[3] for s in should_fail)
    assert final.status_code == 200, final.text
