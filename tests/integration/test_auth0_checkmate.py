"""auth0-checkmate (Auth0's tenant checker, github ``auth0/auth0-checkmate``; not on npm, so neither
CI nor this test can download it) as the judge of the simulated tenant: on every profile it reads
the tenant and writes its report, with no check in error (a check that throws stops the report).

Opt in with a checkout whose dependencies are installed::

    git clone https://github.com/auth0/auth0-checkmate && cd auth0-checkmate
    PUPPETEER_SKIP_DOWNLOAD=1 npm install --omit=dev
    OTEL_AUTH0_CHECKMATE_DIR=$PWD pytest tests/integration/test_auth0_checkmate.py

It runs non-interactively from its environment variables, over loopback only: its GitHub advisory
look-ups go to a closed loopback proxy and fail at once (it logs and skips them).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from otel_auth0_sim.process import running_simulator

pytestmark = pytest.mark.integration
CHECKMATE_DIR = os.environ.get("OTEL_AUTH0_CHECKMATE_DIR", "")
# Findings the misconfigured tenant must produce and the good one must not (checkmate's check names).
MISCONFIGURED_ONLY = {
    "checkErrorPageTemplate",
    "checkEmailProvider",
    "checkBotDetectionSetting",
    "checkGrantTypes",
}


@pytest.fixture(scope="module")
def checkmate() -> Path:
    root = Path(CHECKMATE_DIR)
    if not CHECKMATE_DIR or not (root / "bin" / "index.js").exists() or not (root / "node_modules").exists():
        pytest.skip("set OTEL_AUTH0_CHECKMATE_DIR to an auth0-checkmate checkout with its npm dependencies")
    return root


def _run(checkmate: Path, tmp_path: Path, profile: str) -> tuple[str, list[dict[str, object]]]:
    with running_simulator(
        "--profile", profile, "--events-per-second", "0", "--state-dir", str(tmp_path / "sim"), timeout=90
    ) as sim:
        reports = tmp_path / "reports"
        env = {
            **os.environ,
            "NODE_EXTRA_CA_CERTS": str(sim.info["ca_file"]),
            "AUTH0CHECKMATE_DOMAIN": sim.info["domain"],
            "AUTH0CHECKMATE_CLIENT_ID": sim.info["client_id"],
            "AUTH0CHECKMATE_CLIENT_SECRET": sim.info["client_secret"],
            "AUTH0CHECKMATE_FILE_PATH": str(reports),
            "AUTH0CHECKMATE_SHOW_VALIDATORS": "false",
            "AUTH0CHECKMATE_DISABLE_PDF_REPORTING": "true",
            "https_proxy": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "no_proxy": "127.0.0.1,localhost",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        done = subprocess.run(
            ["node", "bin/index.js"],
            cwd=checkmate,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "failed to generate report" not in output and "TypeError" not in output, output[-4000:]
    written = list(reports.glob("*_report.json"))
    assert len(written) == 1, output[-4000:]
    return output, json.loads(written[0].read_text())


@pytest.mark.parametrize("profile", ["good", "misconfigured", "large", "essentials"])
def test_checkmate_writes_its_report_with_no_check_in_error(
    checkmate: Path, tmp_path: Path, profile: str
) -> None:
    output, findings = _run(checkmate, tmp_path, profile)
    assert "missing required scopes" not in output  # its token decodes and holds every scope it asks
    names = {str(f["name"]) for f in findings}
    if profile == "misconfigured":
        assert names >= MISCONFIGURED_ONLY, names
    elif profile in ("good", "large"):
        assert not MISCONFIGURED_ONLY & names, names
