"""The processes a measurement starts: the test OTLP receiver (count-only) and ``otel-auth0 run``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]




def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def _stop(process: subprocess.Popen[Any], timeout: float = 30.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Receiver:
    """``python -m tests.otlp_receiver --count-only`` (counters and per-request records only)."""

    def __init__(self, process: subprocess.Popen[str], endpoints: dict[str, str]) -> None:
        self.process = process
        self.http_endpoint = endpoints["http_endpoint"]

    def stats(self, detail: bool = False) -> dict[str, Any]:
        """The receiver's counters (``detail``: every request record too)."""
        response = httpx.get(f"{self.http_endpoint}/stats", params={"detail": int(detail)}, timeout=30)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def wait_for_logs(self, count: int, timeout: float) -> dict[str, Any]:
        """Poll until ``count`` log records arrived (or ``timeout``); the last stats."""
        deadline = time.monotonic() + timeout
        while True:
            stats = self.stats()
            if stats["log_records"] >= count or time.monotonic() > deadline:
                return stats
            time.sleep(0.1)


@contextmanager
def otlp_receiver(http_port: int = 0) -> Iterator[Receiver]:
    """Start the count-only test receiver; stop it on exit."""
    command = [sys.executable, "-m", "tests.otlp_receiver", "--count-only", "--http-port", str(http_port)]
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the OTLP receiver did not start (exit code {process.wait()})")
        yield Receiver(process, json.loads(line))
    finally:
        _stop(process)


class Collector:
    """One ``python -m otel_auth0 run --config FILE`` process."""

    def __init__(self, process: subprocess.Popen[bytes], stderr: IO[str]) -> None:
        self.process = process
        self._stderr = stderr

    @property
    def pid(self) -> int:
        """The process id (for RSS sampling)."""
        return self.process.pid

    def stderr_text(self) -> str:
        """What the collector logged so far."""
        self._stderr.seek(0)
        return self._stderr.read()

    def check_alive(self) -> None:
        """Raise with the collector's log when it exited."""
        if self.process.poll() is not None:
            raise RuntimeError(f"collector exited with {self.process.returncode}:\n{self.stderr_text()}")

    def wait_healthy(self, url: str, timeout: float = 60.0) -> None:
        """Wait until ``url`` (the log_stream ``/healthz``) answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"collector not ready within {timeout}s:\n{self.stderr_text()}")


def otlp_http(endpoint: str) -> dict[str, Any]:
    """``exporters.otlp`` for the test receiver over OTLP/HTTP."""
    return {"otlp": {"endpoint": endpoint, "protocol": "http/protobuf", "insecure": True, "timeout": "5s"}}


@contextmanager
def collector(config: dict[str, Any], workdir: Path) -> Iterator[Collector]:
    """Write ``config`` (``state_dir`` defaults to ``workdir/state``) and run the collector on it."""
    telemetry = {"listen": "127.0.0.1:0", **(config.get("telemetry") or {})}
    config = {"state_dir": str(workdir / "state"), **config, "telemetry": telemetry}
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "otel_auth0", "run", "--config", str(path)],
            cwd=workdir,
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            yield Collector(process, stderr)
        finally:
            _stop(process, timeout=60.0)
