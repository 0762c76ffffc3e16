"""Run the simulator as a subprocess for tests, the demo and benchmarks.

with running_simulator("--no-tls", "--events-per-second", "0") as sim:
    httpx.get(f"{sim.base_url}/_sim/stats", verify=sim.verify)
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any


class SimulatorStartError(RuntimeError):
    """The simulator exited or stayed silent instead of printing its start-up line."""


class SimulatorHandle:
    """A running simulator process and its start-up information."""

    def __init__(self, process: subprocess.Popen[str], info: dict[str, Any], stderr: IO[str]) -> None:
        self.process = process
        self.info = info
        self._stderr = stderr

    @property
    def base_url(self) -> str:
        """``scheme://domain`` of the tenant."""
        return f"{self.info['scheme']}://{self.info['domain']}"

    @property
    def verify(self) -> str | bool:
        """What to pass as httpx's ``verify``: the simulator's CA file over TLS, else True."""
        ca_file: str | None = self.info.get("ca_file")
        return ca_file or True

    def stderr_text(self) -> str:
        """Everything the process wrote to stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read()

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait (SIGKILL after ``timeout``), and return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def _first_line(stream: IO[str], timeout: float) -> str | None:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return None


@contextmanager
def running_simulator(*cli_args: str, timeout: float = 30.0) -> Iterator[SimulatorHandle]:
    """Start ``python -m otel_auth0 simulate --port 0 --enable-controls *cli_args``; stop it on exit."""
    command = [sys.executable, "-m", "otel_auth0", "simulate", "--port", "0", "--enable-controls", *cli_args]
    with tempfile.TemporaryFile("w+") as stderr:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
        handle = SimulatorHandle(process, {}, stderr)
        try:
            assert process.stdout is not None
            line = _first_line(process.stdout, timeout)
            if not line:
                handle.stop()
                raise SimulatorStartError(
                    f"simulator did not start within {timeout:g}s (exit code {process.returncode}); "
                    f"stderr:\n{handle.stderr_text()}"
                )
            try:
                handle.info = json.loads(line)
            except ValueError:
                raise SimulatorStartError(f"unexpected start-up line from the simulator: {line!r}") from None
            yield handle
        finally:
            handle.stop()
