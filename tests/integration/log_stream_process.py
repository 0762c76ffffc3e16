"""Run ``otel-auth0 run`` with a log_stream receiver as a real process (readiness, kill -9, stream posts)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import yaml

from otel_auth0.simulator.log_ids import LogIdGenerator

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "stream-token-for-tests"


_ids = LogIdGenerator()


def items(count: int) -> list[dict[str, Any]]:
    """``count`` Log-Stream items ``{"log_id", "data"}`` with fresh log ids."""
    out = []
    for index in range(count):
        log_id = _ids.next_id()
        event = {
            "log_id": log_id,
            "type": "s" if index % 2 else "f",
            "date": "2026-11-29T01:02:03.456Z",
            "description": f"event {index}",
            "client_id": "abc",
            "user_id": "auth0|42",
        }
        out.append({"log_id": log_id, "data": event})
    return out


def as_array(batch: list[Any]) -> bytes:
    """JSONARRAY body."""
    return json.dumps(batch).encode()


def as_lines(batch: list[Any]) -> bytes:
    """JSONLINES body."""
    return "\n".join(json.dumps(item) for item in batch).encode()


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago (for configs that must name a fixed port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(path: Path, config: dict[str, Any]) -> Path:
    """Write ``config`` as YAML to ``path``."""
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def stream_config(port: int, **extra: Any) -> dict[str, Any]:
    """``receivers.log_stream`` on 127.0.0.1:``port`` with the test token."""
    return {"listen": f"127.0.0.1:{port}", "path": "/auth0/logs", "token": TOKEN, **extra}


def otlp_exporter(endpoint: str, protocol: str = "http/protobuf") -> dict[str, Any]:
    """``exporters.otlp`` for the test receiver."""
    return {"endpoint": endpoint, "protocol": protocol, "insecure": True, "timeout": "2s"}


class CollectorProcess:
    """One ``python -m otel_auth0 run --config FILE`` process."""

    def __init__(self, config_path: Path, stderr: IO[str], stream_port: int | None = None) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "OTEL_AUTH0_LOG_LEVEL": "INFO"}
        for name in [key for key in env if key.startswith("OTEL_EXPORTER_OTLP")]:
            del env[name]
        self.stream_port = stream_port
        self._stderr = stderr
        self.process = subprocess.Popen(
            [sys.executable, "-m", "otel_auth0", "run", "--config", str(config_path)],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
        )

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the log_stream receiver."""
        return f"http://127.0.0.1:{self.stream_port}"

    @property
    def stream_url(self) -> str:
        """The webhook URL."""
        return f"{self.base_url}/auth0/logs"

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until ``GET /healthz`` answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"collector exited with {self.process.returncode}:\n{self.stderr_text()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"collector not ready within {timeout}s:\n{self.stderr_text()}")

    def stderr_text(self) -> str:
        """Everything written to stderr so far (all processes sharing the file)."""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()

    def kill(self) -> None:
        """``kill -9``."""
        self.process.kill()
        self.process.wait()

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait for the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


@contextmanager
def running_collector(
    config_path: Path, stderr_path: Path, stream_port: int | None = None, ready: bool = True
) -> Iterator[CollectorProcess]:
    """Start the collector (waiting for its log_stream receiver when it has one); kill it on exit."""
    with stderr_path.open("a+") as stderr:
        collector = CollectorProcess(config_path, stderr, stream_port)
        try:
            if ready and stream_port is not None:
                collector.wait_ready()
            yield collector
        finally:
            if collector.process.poll() is None:
                collector.kill()


def post_items(url: str, body: bytes, token: str = TOKEN, **headers: str) -> httpx.Response:
    """POST a Log Stream body the way Auth0 does (``Authorization`` verbatim, JSON content type)."""
    sent = {"Authorization": token, "Content-Type": "application/json", **headers}
    return httpx.post(url, content=body, headers=sent, timeout=30.0)
