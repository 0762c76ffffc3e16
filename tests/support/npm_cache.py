"""Auth0's Node tools for the tests, installed from the npm registry into a cache directory.

The cache is ``$OTEL_AUTH0_TEST_CACHE/npm`` (default ``~/.cache/otel-auth0-tests/npm``). Where node,
npm or the registry is unavailable the test is skipped with the reason, except under ``CI=true``,
where it fails: CI must run Auth0's tools.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

NPM_TIMEOUT = 600.0


def cache_dir() -> Path:
    """Where npm packages for the tests are installed."""
    root = os.environ.get("OTEL_AUTH0_TEST_CACHE") or str(Path.home() / ".cache" / "otel-auth0-tests")
    return Path(root) / "npm"


def unavailable(reason: str) -> None:
    """Skip with ``reason`` (fail under ``CI=true``)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)


def installed_bin(package: str, version: str, command: str) -> Path:
    """The path of ``command`` from ``package@version``, installing it into the cache when needed."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("node and npm are needed to run Auth0's Node tools (apt-get install nodejs npm)")
    root = cache_dir()
    binary = root / "node_modules" / ".bin" / command
    manifest = root / "node_modules" / package / "package.json"
    if binary.exists() and manifest.exists() and json.loads(manifest.read_text()).get("version") == version:
        return binary
    root.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(root), f"{package}@{version}"],
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        unavailable(f"npm install {package}@{version} did not finish within {NPM_TIMEOUT:g}s")
    if done.returncode != 0 or not binary.exists():
        unavailable(f"npm install {package}@{version} failed (registry unreachable?): {done.stderr[-800:]}")
    return binary
