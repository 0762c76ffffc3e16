"""The tenant simulator as a real process over real sockets (plain HTTP and TLS with its CA)."""

from __future__ import annotations

import json
import signal
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from otel_auth0_sim.process import SimulatorHandle, running_simulator

pytestmark = pytest.mark.integration


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def token(client: httpx.Client, sim: SimulatorHandle) -> str:
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": sim.info["client_id"],
            "client_secret": sim.info["client_secret"],
            "audience": f"https://{sim.info['domain']}/api/v2/",
        },
    )
    assert response.status_code == 200, response.text
    access_token: str = response.json()["access_token"]
    return access_token


def test_plain_http_logs_api_rate_limit_faults_and_clean_exit(tmp_path: Path) -> None:
    args = ("--no-tls", "--state-dir", str(tmp_path), "--events-per-second", "0", "--mgmt-rate-limit", "100")
    with running_simulator(*args) as sim, httpx.Client(base_url=sim.base_url) as client:
        assert sim.info["scheme"] == "http" and sim.info["ca_file"] is None
        assert sim.info["domain"].startswith("127.0.0.1:")
        bad = client.post(
            "/oauth/token", json={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
        )
        assert bad.status_code == 401 and bad.json()["error"] == "access_denied"
        unauthorized = client.get("/api/v2/logs", params={"take": 5})
        assert unauthorized.status_code == 401 and unauthorized.json()["statusCode"] == 401
        client.headers["Authorization"] = f"Bearer {token(client, sim)}"

        generated = client.post("/_sim/events", json={"generate": 230}).json()["log_ids"]
        url, seen = f"{sim.base_url}/api/v2/logs?take=100", []
        while True:
            page = client.get(url)
            assert page.status_code == 200
            assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(page.headers)
            url = page.links["next"]["url"]
            if not page.json():
                break
            seen += [row["log_id"] for row in page.json()]
        assert seen == generated == client.get("/_sim/log-ids").json()["log_ids"]
        assert client.get(url).json() == []  # still caught up: the same next URL

        search = client.get(
            "/api/v2/logs", params={"q": "type:s", "per_page": 10, "include_totals": "true"}
        ).json()
        assert search["total"] > 0 and all(row["type"] == "s" for row in search["logs"])

        client.post("/_sim/faults", json={"path_prefix": "/api/v2/logs", "status": 503, "count": 2})
        assert [client.get("/api/v2/logs", params={"take": 1}).status_code for _ in range(3)] == [
            503,
            503,
            200,
        ]
        client.post("/_sim/faults", json={"path_prefix": "/api/v2/logs", "status": 0, "count": 1})
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/api/v2/logs", params={"take": 1})
        assert client.get("/api/v2/logs", params={"take": 1}).status_code == 200

        client.post("/_sim/rate-limit", json={"limit": 1})
        statuses = [client.get("/api/v2/logs", params={"take": 1}) for _ in range(10)]
        limited = [r for r in statuses if r.status_code == 429]
        assert limited, "a 1 request/second budget must be spent by 10 back-to-back requests"
        assert limited[0].json() == {
            "statusCode": 429,
            "error": "Too Many Requests",
            "message": "Global limit has been reached",
            "errorCode": "too_many_requests",
        }
        assert limited[0].headers["x-ratelimit-remaining"] == "0"
        assert int(limited[0].headers["x-ratelimit-reset"]) >= int(time.time())
        stats = client.get("/_sim/stats").json()
        assert stats["rate_limited"] == len(limited) and stats["token_requests"] == 2
        assert stats["requests"]["/api/v2/logs"]["503"] == 2

        sim.process.send_signal(signal.SIGTERM)
        assert sim.process.wait(15) == 0


def test_tls_with_generated_ca_reused_across_restarts(tmp_path: Path) -> None:
    with running_simulator("--state-dir", str(tmp_path), "--events-per-second", "50") as sim:
        assert sim.info["scheme"] == "https"
        ca_file = Path(sim.info["ca_file"])
        assert ca_file.is_absolute() and ca_file.is_file()
        first_ca = ca_file.read_bytes()
        with httpx.Client(
            base_url=sim.base_url, verify=ssl.create_default_context(cafile=str(ca_file))
        ) as client:
            client.headers["Authorization"] = f"Bearer {token(client, sim)}"

            def has_events() -> bool:
                response = client.get("/api/v2/logs", params={"take": 10})
                return response.status_code == 200 and bool(response.json())

            wait_until(has_events, "generated events")
        with pytest.raises(httpx.ConnectError), httpx.Client(base_url=sim.base_url) as untrusting:
            untrusting.get("/_sim/stats")
    with running_simulator("--state-dir", str(tmp_path), "--events-per-second", "0") as again:
        assert again.info["ca_file"] == str(ca_file) and ca_file.read_bytes() == first_ca
        verify = ssl.create_default_context(cafile=again.info["ca_file"])
        assert httpx.get(f"{again.base_url}/_sim/stats", verify=verify).status_code == 200


class Sink:
    """A Log Stream webhook receiver that records what it accepted and can fail on demand."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.fail_next = 0
        self.failing = False
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with sink.lock:
                    fail = sink.failing or sink.fail_next > 0
                    sink.fail_next = max(0, sink.fail_next - 1)
                    if not fail:
                        items = sink.parse(body)
                        sink.items += items
                        sink.requests.append(
                            {
                                "authorization": self.headers["Authorization"],
                                "content_type": self.headers["Content-Type"],
                                "count": len(items),
                            }
                        )
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/auth0/logs"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def parse(body: bytes) -> list[dict[str, Any]]:
        text = body.decode()
        try:
            parsed = json.loads(text)
        except ValueError:
            return [json.loads(line) for line in text.splitlines()]
        return parsed if isinstance(parsed, list) else [parsed]

    def log_ids(self) -> list[str]:
        with self.lock:
            return [item["log_id"] for item in self.items]


@pytest.fixture
def sink() -> Iterator[Sink]:
    receiver = Sink()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.mark.parametrize("fmt", ["jsonarray", "jsonlines", "jsonobject"])
def test_log_stream_push_formats_retry_and_order(tmp_path: Path, sink: Sink, fmt: str) -> None:
    sink.fail_next = 2
    args = ["--no-tls", "--state-dir", str(tmp_path), "--events-per-second", "200", "--max-events", "30"]
    args += ["--log-stream-url", sink.url, "--log-stream-token", "Bearer s3cret", "--log-stream-format", fmt]
    args += ["--log-stream-batch-size", "7"]
    with running_simulator(*args) as sim, httpx.Client(base_url=sim.base_url) as client:
        wait_until(lambda: len(sink.log_ids()) >= 30, "30 pushed items")
        stats = client.get("/_sim/stats").json()
        assert stats["generated"] == 30 and stats["stream"]["delivered"] == 30
        assert stats["stream"]["failures"] == 2 and stats["stream"]["last_error"] == "HTTP 500"
        assert sink.log_ids() == client.get("/_sim/log-ids").json()["log_ids"]
    assert all(item["data"]["log_id"] == item["log_id"] for item in sink.items)
    assert {r["authorization"] for r in sink.requests} == {"Bearer s3cret"}
    assert {r["content_type"] for r in sink.requests} == {"application/json"}
    counts = [r["count"] for r in sink.requests]
    assert max(counts) == (1 if fmt == "jsonobject" else 7)


def test_log_stream_pause_resume_and_suspend_after_sustained_failure(tmp_path: Path, sink: Sink) -> None:
    args = ["--no-tls", "--state-dir", str(tmp_path), "--events-per-second", "0"]
    args += [
        "--log-stream-url",
        sink.url,
        "--log-stream-token",
        "raw-token",
        "--log-stream-pause-after",
        "0.5",
    ]
    with running_simulator(*args) as sim, httpx.Client(base_url=sim.base_url) as client:

        def stream() -> dict[str, Any]:
            status: dict[str, Any] = client.get("/_sim/stream").json()
            return status

        client.post("/_sim/events", json={"generate": 5})
        wait_until(lambda: len(sink.log_ids()) == 5, "first 5 items")

        assert client.post("/_sim/stream", json={"paused": True}).json()["paused"] is True
        client.post("/_sim/events", json={"generate": 10})
        time.sleep(0.3)  # the pusher would have pushed by now if it were not paused
        assert len(sink.log_ids()) == 5 and stream()["delivered"] == 5
        client.post("/_sim/stream", json={"paused": False})
        wait_until(lambda: len(sink.log_ids()) == 15, "backlog after resume")

        sink.failing = True
        client.post("/_sim/events", json={"generate": 4})
        wait_until(lambda: stream()["suspended"], "automatic suspension")
        assert stream()["failures"] >= 2 and len(sink.log_ids()) == 15
        sink.failing = False
        client.post("/_sim/events", json={"generate": 3})
        time.sleep(0.3)
        assert len(sink.log_ids()) == 15, "a suspended stream stays suspended until resumed"
        client.post("/_sim/stream", json={"paused": False})
        wait_until(lambda: len(sink.log_ids()) == 22, "everything after resuming the suspended stream")
        assert sink.log_ids() == client.get("/_sim/log-ids").json()["log_ids"]
    assert {r["authorization"] for r in sink.requests} == {"raw-token"}
