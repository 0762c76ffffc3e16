"""``make demo``, as README.md says, makes no connection beyond loopback: it runs in a network
namespace of its own where only ``lo`` exists (anything else fails at once with "network unreachable"
and would show as a warning), and an audit hook in every Python process it starts records each socket
connection and name lookup that is not loopback. Skips, saying why, where the machine cannot make a
network namespace."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.netns import namespace_problem

pytestmark = pytest.mark.integration

# Installed as sitecustomize in the demo's processes (the collector and the simulator it starts).
AUDIT_HOOK = '''
import ipaddress, os, sys

_LOG = os.environ["OTEL_AUTH0_TEST_CONNECTIONS"]
_LOCAL_NAMES = {"localhost", "ip6-localhost", None, ""}


def _loopback(host):
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _hook(event, args):
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and not _loopback(address[0]):
            with open(_LOG, "a") as log:
                log.write(f"{os.getpid()} connect {address!r}\\n")
    elif event == "socket.getaddrinfo" and not _loopback(args[0]):
        with open(_LOG, "a") as log:
            log.write(f"{os.getpid()} getaddrinfo {args[0]!r}\\n")


sys.addaudithook(_hook)
'''


REPO = Path(__file__).resolve().parents[2]


def test_make_demo_runs_with_only_loopback(tmp_path: Path) -> None:
    if problem := namespace_problem():
        pytest.skip(problem)
    if not (REPO / ".venv" / ".installed").is_file():
        pytest.skip("make demo runs the project's .venv, which `make venv` (or make test) creates")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(AUDIT_HOOK)
    connections = tmp_path / "connections.log"
    connections.touch()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")])),
        "OTEL_AUTH0_TEST_CONNECTIONS": str(connections),
        "COLUMNS": "200",
    }
    done = subprocess.run(
        ["unshare", "--net", "--", "sh", "-c", "ip link set lo up && exec make demo"],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=REPO,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert connections.read_text() == ""  # no connection or name lookup beyond loopback
    problems = [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line]
    assert problems == [], output[-4000:]
    assert "otel_auth0.notices" in output  # the notices watcher did fetch: from the simulator
