"""``make screenshots``: regenerate docs/images/readiness-report.png, readiness-report-critical.png,
status-page.png and status-page-tenants.png in headless Chromium from real runs: ``otel-auth0 readiness``
against the simulator's ``misconfigured`` tenant, ``otel-auth0 run`` whose logs_api receiver is failing
(a fault injected in the simulator), and a two-tenant ``otel-auth0 run`` with one wrong client secret."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from otel_auth0.local_ports import free_port
from otel_auth0_sim.process import running_simulator
from tests.collector_process import running_collector, write_config
from tests.integration.test_readiness_e2e import write_config as readiness_config
from tests.support.browser import chromium, wait_for
from tests.support.sim_config import auth0_section, login_probe_section

WIDTH = 1280


def shoot(driver: Any, path: Path, max_height: int) -> None:
    """A screenshot of the page's top ``max_height`` pixels (all of it when shorter)."""
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(WIDTH, min(height + 20, max_height))
    driver.save_screenshot(str(path))
    print(f"wrote {path}")


def readiness_report(work: Path, out: Path) -> None:
    """The report of the misconfigured tenant: its top, and its critical failures filtered."""
    from selenium.webdriver.common.by import By

    with running_simulator(
        "--profile", "misconfigured", "--events-per-second", "0", "--state-dir", str(work / "sim")
    ) as sim:
        config = readiness_config(work / "config.yaml", sim, "http://127.0.0.1:9", broken=True)
        command = [sys.executable, "-m", "otel_auth0", "readiness", "--config", str(config), "--report-dir"]
        subprocess.run([*command, str(work / "report")], capture_output=True, check=False, timeout=600)
    with chromium(WIDTH, 1000) as driver:
        driver.get((work / "report" / "summary.html").as_uri())
        shoot(driver, out / "readiness-report.png", 1400)
        driver.find_element(By.ID, "f-failed").click()
        driver.find_element(By.ID, "f-critical").click()
        driver.execute_script("document.getElementById('filters').scrollIntoView()")
        shoot(driver, out / "readiness-report-critical.png", 1400)


def status_page(work: Path, out: Path) -> None:
    """The status page while the logs_api receiver is failing."""
    from selenium.webdriver.common.by import By

    with running_simulator(
        "--profile", "good", "--events-per-second", "5", "--state-dir", str(work / "sim2")
    ) as sim:
        port = free_port()
        receivers = {
            "logs_api": {"interval": "1s"},
            "login_probe": {**login_probe_section(sim), "interval": "2s"},
        }
        config = {
            "auth0": {**auth0_section(sim), "tenant": "example"},
            "state_dir": str(work / "state"),
            "telemetry": {"listen": f"127.0.0.1:{port}"},
            "receivers": receivers,
            "exporters": {"file": {"path": str(work / "out.jsonl")}},
        }
        base = f"http://127.0.0.1:{port}"
        with (
            running_collector(write_config(work / "collector.yaml", config)),
            chromium(WIDTH, 1000) as driver,
        ):
            wait_for(lambda: _runs(f"{base}/status.json") >= 3, "three probe runs")
            fault = {"path_prefix": "/api/v2/logs", "status": 503, "count": 1_000_000}
            httpx.post(
                f"{sim.base_url}/_sim/faults", json=fault, verify=sim.verify, timeout=10
            ).raise_for_status()
            time.sleep(3)  # a few failed polls, so the page shows an error with its retries
            driver.get(f"{base}/status")
            wait_for(
                lambda: "logs_api" in driver.find_element(By.ID, "problems").text or driver.refresh(),
                "failing",
            )
            shoot(driver, out / "status-page.png", 2000)


def tenants_status_page(work: Path, out: Path) -> None:
    """The status page of a two-tenant configuration whose second tenant has a wrong client secret."""
    from selenium.webdriver.common.by import By

    with (
        running_simulator("--events-per-second", "5", "--state-dir", str(work / "sim-acme")) as acme,
        running_simulator("--events-per-second", "5", "--state-dir", str(work / "sim-globex")) as globex,
    ):
        port = free_port()
        tenants = [
            {"name": "acme", "auth0": auth0_section(acme), "receivers": {"logs_api": {"interval": "1s"}}},
            {
                "name": "globex",
                "auth0": {**auth0_section(globex), "client_secret": "not-the-secret"},
                "receivers": {"logs_api": {"interval": "1s"}},
            },
        ]
        config = {
            "tenants": tenants,
            "state_dir": str(work / "state-tenants"),
            "telemetry": {"listen": f"127.0.0.1:{port}"},
            "exporters": {"file": {"path": str(work / "out-tenants.jsonl")}},
        }
        base = f"http://127.0.0.1:{port}"
        with (
            running_collector(write_config(work / "tenants.yaml", config)),
            chromium(WIDTH, 1000) as driver,
        ):
            wait_for(lambda: _tenant_ok(f"{base}/status.json", "acme"), "acme's logs_api ok")
            driver.get(f"{base}/status")
            wait_for(
                lambda: "tenant globex" in driver.find_element(By.ID, "problems").text or driver.refresh(),
                "globex failing",
            )
            shoot(driver, out / "status-page-tenants.png", 1400)


def _tenant_ok(url: str, tenant: str) -> bool:
    try:
        sections = httpx.get(url, timeout=2.0).json()["sections"]
    except (httpx.HTTPError, ValueError):
        return False
    rows = [r for s in sections if s["id"] == "receivers" and s.get("tenant") == tenant for r in s["rows"]]
    return bool(rows) and all(row["state"] == "ok" for row in rows)


def _runs(url: str) -> int:
    try:
        sections = httpx.get(url, timeout=2.0).json()["sections"]
    except (httpx.HTTPError, ValueError):
        return 0
    return sum(len(s["rows"]) for s in sections if s["id"] == "login_probe")


def main() -> None:
    """Write the screenshots into the directory given (default docs/images)."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        readiness_report(Path(work), out)
        status_page(Path(work), out)
        tenants_status_page(Path(work), out)


if __name__ == "__main__":
    main()
