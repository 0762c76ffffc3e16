"""Run ``otel-auth0`` as real subprocesses for integration tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Literal

import httpx
import yaml

from otel_auth0.local_ports import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]


def write_config(path: Path, config: dict[str, Any]) -> Path:
    """Write a YAML configuration file; the health/metrics server gets an ephemeral port unless the test
    names one (tests run in parallel, the default port is fixed)."""
    telemetry = {"listen": "127.0.0.1:0", **(config.get("telemetry") or {})}
    path.write_text(yaml.safe_dump({**config, "telemetry": telemetry}, sort_keys=False), encoding="utf-8")
    return path


def poller_only_config(
    directory: Path, port: int, exporters: dict[str, Any], interval: str = "1h", **telemetry: Any
) -> Path:
    """``directory/config.yaml`` whose one receiver polls the notices feeds at a closed loopback port
    (it never succeeds), with the health/metrics server on ``port``."""
    closed = f"http://127.0.0.1:{free_port()}"
    config = {
        "state_dir": str(directory / "state"),
        "telemetry": {"listen": f"127.0.0.1:{port}", **telemetry},
        "receivers": {"notices": {"interval": interval, "changelog_url": closed, "ip_ranges_url": closed}},
        "exporters": exporters,
    }
    return write_config(directory / "config.yaml", config)




def _environment(extra: dict[str, str] | None) -> dict[str, str]:
    """This environment without OTLP exporter variables (tests configure exporters explicitly)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_EXPORTER_OTLP")}
    return {**env, "PYTHONUNBUFFERED": "1", "OTEL_AUTH0_LOG_LEVEL": "INFO", **(extra or {})}


class CollectorProcess:
    """One ``python -m otel_auth0 run --config FILE`` process (started through ``prefix``, e.g.
    ``ip netns exec NAME``, with its listeners reachable at ``host``)."""

    def __init__(
        self,
        config_path: Path,
        stderr: IO[str],
        stream_port: int | None = None,
        env: dict[str, str] | None = None,
        host: str = "127.0.0.1",
        prefix: Sequence[str] = (),
    ) -> None:
        self.stream_port = stream_port
        self.host = host
        self._stderr = stderr
        self.process = subprocess.Popen(
            [*prefix, sys.executable, "-m", "otel_auth0", "run", "--config", str(config_path)],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=_environment(env),
        )

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` of the log_stream receiver."""
        return f"http://{self.host}:{self.stream_port}"

    @property
    def stream_url(self) -> str:
        """The webhook URL."""
        return f"{self.base_url}/auth0/logs"

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until the log_stream receiver's ``GET /healthz`` answers 200."""
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
        """Everything written to stderr so far."""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()

    def kill(self) -> None:
        """``kill -9``: a hard crash."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait for the graceful drain (SIGKILL after ``timeout``); returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode


@contextmanager
def running_collector(
    config_path: Path,
    stderr_path: Path | None = None,
    stream_port: int | None = None,
    ready: bool = True,
    env: dict[str, str] | None = None,
    on_exit: Literal["terminate", "kill"] = "terminate",
    host: str = "127.0.0.1",
    prefix: Sequence[str] = (),
) -> Iterator[CollectorProcess]:
    """Start the collector (waiting for its log_stream receiver when ``stream_port`` is given); on exit
    stop it gracefully, or with SIGKILL when ``on_exit="kill"``. ``host`` and ``prefix``: see
    :class:`CollectorProcess`."""
    with stderr_path.open("a+") if stderr_path is not None else tempfile.TemporaryFile("w+") as stderr:
        collector = CollectorProcess(config_path, stderr, stream_port, env, host, prefix)
        try:
            if ready and stream_port is not None:
                collector.wait_ready()
            yield collector
        finally:
            if on_exit == "kill":
                collector.kill()
            else:
                collector.terminate()


def run_cli(*args: str, timeout: float = 60.0, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m otel_auth0 *args`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "otel_auth0", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        cwd=REPO_ROOT,
        env=_environment(None),
    )
