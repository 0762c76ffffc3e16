"""Run ``otel-auth0 run`` as a real subprocess for integration tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import yaml


def write_config(path: Path, config: dict[str, Any]) -> Path:
    """Write a YAML configuration file."""
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


class CollectorProcess:
    """A running ``otel-auth0 run`` process."""

    def __init__(self, process: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
        self.process = process
        self._stderr = stderr

    def stderr_text(self) -> str:
        """Everything written to stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait for the graceful drain; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL: a hard crash."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextmanager
def running_collector(
    config_path: Path, *extra: str, env: dict[str, str] | None = None
) -> Iterator[CollectorProcess]:
    """Start ``python -m otel_auth0 run --config config_path``; terminate it on exit."""
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "otel_auth0", "run", "--config", str(config_path), *extra],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, **(env or {})},
        )
        handle = CollectorProcess(process, stderr)
        try:
            yield handle
        finally:
            handle.terminate()


def run_cli(*args: str, timeout: float = 60.0, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m otel_auth0 *args`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "otel_auth0", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
    )
