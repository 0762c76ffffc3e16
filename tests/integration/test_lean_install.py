"""A plain ``pip install otel-auth0`` brings no test framework: the distribution requires none without
extras, ``otel-auth0 run`` works when pytest, pytest-bdd, aiosmtpd and the simulator cannot be
imported, and ``otel-auth0 readiness`` then names the extra to install."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from importlib.metadata import requires
from pathlib import Path

import httpx
import pytest

from otel_auth0.local_ports import free_port
from tests.collector_process import REPO_ROOT, poller_only_config, write_config
from tests.otlp_receiver import wait_for

pytestmark = pytest.mark.integration

TEST_ONLY = {"pytest", "pytest-bdd", "aiosmtpd"}
BLOCKED = ("pytest", "_pytest", "pytest_bdd", "aiosmtpd", "otel_auth0_sim")
# Runs the CLI with an import system that refuses what only the extras install.
WITHOUT_EXTRAS = f"""
import importlib.abc, sys
class _Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {BLOCKED!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, _Refuse())
from otel_auth0.cli import main
code = main(sys.argv[1:])
leaked = sorted(m for m in sys.modules if m.split(".")[0] in {BLOCKED!r})
assert not leaked, leaked
sys.exit(code)
"""


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9_.-]+", requirement)
    assert match, requirement
    return match.group(0).lower().replace("_", "-")


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WITHOUT_EXTRAS, *args],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_requires_dist_without_extras_has_no_test_framework() -> None:
    requirements = requires("otel-auth0") or []
    plain = {_name(r) for r in requirements if "extra ==" not in r}
    assert plain and not plain & TEST_ONLY, plain & TEST_ONLY
    readiness = {_name(r) for r in requirements if re.search(r"extra == ['\"]readiness['\"]", r)}
    assert readiness >= TEST_ONLY
    dev = [r for r in requirements if re.search(r"extra == ['\"]dev['\"]", r)]
    assert any("readiness" in r and "simulator" in r for r in dev if _name(r) == "otel-auth0"), dev


def test_run_works_without_the_extras(tmp_path: Path) -> None:
    port = free_port()
    path = poller_only_config(tmp_path, port, {"file": {"path": str(tmp_path / "out.jsonl")}})
    process = _cli("run", "--config", str(path))
    try:

        def healthy() -> bool:
            assert process.poll() is None, process.communicate()[1]
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_for(healthy, timeout=60)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr


def test_readiness_names_the_missing_extra(tmp_path: Path) -> None:
    path = write_config(tmp_path / "config.yaml", {"auth0": {"domain": "t.us.auth0.com"}})
    process = _cli("readiness", "--config", str(path))
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "pip install 'otel-auth0[readiness]'" in stderr
    assert "pytest" in stderr


def test_scan_and_validate_work_without_the_extras(tmp_path: Path) -> None:
    saved = tmp_path / "logs.json"
    saved.write_text('[{"log_id": "1", "type": "s", "date": "2026-11-29T22:00:00Z"}]', encoding="utf-8")
    scan = _cli("scan", "--since", "100000d", "--json", str(saved))
    stdout, stderr = scan.communicate(timeout=60)
    assert scan.returncode == 0, stderr
    assert '"events": 1' in stdout
    config = write_config(tmp_path / "config.yaml", {"receivers": {"log_stream": {"token": "t"}}})
    validate = _cli("validate", "--config", str(config))
    stdout, stderr = validate.communicate(timeout=60)
    assert validate.returncode == 0, stderr
    assert stdout.strip() == f"{config}: valid"
