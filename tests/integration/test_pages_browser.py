"""The two pages people look at, in headless Chromium (Selenium with Debian's chromium and
chromium-driver): the readiness report of ``otel-auth0 readiness`` against the ``misconfigured`` simulated
tenant (critical failures on top, the filters hide and show the right rows, the header names the tenant,
no fragment of a secret anywhere in the DOM), and the status page of a running collector, which shows a
receiver failing and then recovering (also in one tenant's block of a two-tenant configuration, beside a
healthy tenant). Without a browser these tests skip with the reason; in CI they fail."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from otel_auth0.local_ports import free_port
from otel_auth0.masking import KNOWN_FORMATS, find_secrets
from otel_auth0.readiness import summary
from otel_auth0_sim.process import running_simulator
from otel_auth0_sim.profiles import tenant_config
from tests.collector_process import running_collector, write_config
from tests.integration.test_readiness_e2e import write_config as readiness_config
from tests.support.browser import chromium, wait_for
from tests.support.secret_samples import IN_TEXT, leaks, unguessable
from tests.support.sim_config import auth0_section, login_probe_section

pytestmark = pytest.mark.integration
KNOWN = {kind for kind, _ in KNOWN_FORMATS}


def profile_secrets(profile: str) -> list[str]:
    """The credentials the simulated tenant's Actions and database scripts hard-code."""
    found = find_secrets(json.dumps(tenant_config(profile, "https://tenant.test")))
    return [secret for kind, secret in found if kind in KNOWN]


def visible_rows(driver: Any) -> list[Any]:
    from selenium.webdriver.common.by import By

    return [
        row for row in driver.find_elements(By.CSS_SELECTOR, "tbody tr[data-outcome]") if row.is_displayed()
    ]


def test_readiness_report_in_browser(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    with running_simulator(
        "--profile", "misconfigured", "--events-per-second", "0", "--state-dir", str(tmp_path / "sim")
    ) as sim:
        config = readiness_config(tmp_path / "config.yaml", sim, "http://127.0.0.1:9", broken=True)
        reports = tmp_path / "report"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "otel_auth0",
                "readiness",
                "--config",
                str(config),
                "--report-dir",
                str(reports),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        domain = sim.info["domain"]
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    results = json.loads((reports / "results.json").read_text())
    failed = [r for r in results if r["outcome"] == "failed"]
    critical = [r for r in failed if "critical" in r["tags"]]
    secrets = profile_secrets("misconfigured")
    assert len(secrets) >= 2  # the sk_live_ / rk_live_ keys in the profile's Action and login script

    with chromium() as driver:
        driver.get((reports / "summary.html").as_uri())
        assert driver.find_element(By.ID, "tenant").text == "Example (simulated)"
        assert driver.find_element(By.ID, "domain").text == domain
        assert "Example (simulated)" in driver.find_element(By.TAG_NAME, "h1").text
        assert driver.find_element(By.ID, "version").text and driver.find_element(By.ID, "started").text
        assert "99 scenarios" in driver.find_element(By.ID, "profile").text or driver.find_element(
            By.ID, "profile"
        )
        # critical failures first, each with its fix; no internal ids as titles
        first = driver.find_element(By.CSS_SELECTOR, "section.group")
        assert first.get_attribute("id") == "critical-failures"
        rows = driver.find_elements(By.CSS_SELECTOR, "tbody tr[data-outcome]")
        assert len(rows) == len(results)
        leading = rows[: len(critical)]
        assert all(r.get_attribute("data-severity") == "critical" for r in leading)
        assert all(r.get_attribute("data-outcome") == "failed" for r in leading)
        assert all("Fix:" in r.text for r in leading)
        titles = [r.find_element(By.CSS_SELECTOR, "th").text for r in rows]
        assert not [t for t in titles if "production check" in t or "_" in t.split()[-1]], titles
        assert len(titles) == len(set(titles)), "a scenario is listed twice"
        # filters
        assert len(visible_rows(driver)) == len(results)
        driver.find_element(By.ID, "f-failed").click()
        shown = visible_rows(driver)
        assert len(shown) == len(failed) and {r.get_attribute("data-outcome") for r in shown} == {"failed"}
        driver.find_element(By.ID, "f-critical").click()
        shown = visible_rows(driver)
        assert len(shown) == len(critical) and {r.get_attribute("data-severity") for r in shown} == {
            "critical"
        }
        Select(driver.find_element(By.ID, "f-feature")).select_by_value("Email")
        shown = visible_rows(driver)
        expected = [r for r in critical if r["feature"] == "Email"]
        assert len(shown) == len(expected) > 0 and {r.get_attribute("data-feature") for r in shown} == {
            "Email"
        }
        assert not driver.find_element(By.ID, "passed").is_displayed()  # an emptied section hides
        driver.find_element(By.ID, "f-failed").click()
        driver.find_element(By.ID, "f-critical").click()
        Select(driver.find_element(By.ID, "f-feature")).select_by_value("")
        assert len(visible_rows(driver)) == len(results)
        assert (
            driver.find_element(By.ID, "shown").text == f"Showing {len(results)} of {len(results)} scenarios"
        )
        dom = driver.execute_script("return document.documentElement.outerHTML + document.body.innerText")
        assert "Stripe key" in dom  # the finding is reported, by kind and length
        assert leaks(dom, secrets) == []


def test_no_secret_fragment_in_report_dom(tmp_path: Path) -> None:
    """Every secret shape the checks detect, in a failure, a pass's evidence and a skip: none shows."""
    results = [
        {
            "nodeid": f"n{i}",
            "feature": "Production checks",
            "scenario": f"Gate {i}",
            "tags": ["critical"],
            "outcome": outcome,
            "message": f"found {secret}. Fix: remove it",
        }
        for i, (outcome, secret) in enumerate(
            (outcome, secret) for secret in IN_TEXT for outcome in ("failed", "passed", "skipped")
        )
    ]
    page = tmp_path / "summary.html"
    page.write_text(summary.html_report(results, summary.RunInfo(domain="tenant.example", tenant="Example")))
    with chromium() as driver:
        driver.get(page.as_uri())
        dom = driver.execute_script("return document.documentElement.outerHTML + document.body.innerText")
    assert "[masked: JWT," in dom and "[masked: private key," in dom
    assert leaks(dom) == []


def status_row(driver: Any, receiver: str) -> dict[str, str]:
    """The status page's receivers row of ``receiver`` (column label -> cell text), reloading first."""
    from selenium.webdriver.common.by import By

    driver.refresh()
    table = driver.find_element(By.CSS_SELECTOR, "#receivers table")
    labels = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    for row in table.find_elements(By.CSS_SELECTOR, "tbody tr"):
        cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
        if cells and cells[0] == receiver:
            return dict(zip(labels, cells, strict=True))
    return {}


def test_status_page_shows_a_receiver_failing_and_recovering(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    client_secret = unguessable()  # any 4 characters of it on the page would be a leak
    with running_simulator(
        "--profile",
        "good",
        "--events-per-second",
        "5",
        "--state-dir",
        str(tmp_path / "sim"),
        "--client-secret",
        client_secret,
    ) as sim:
        port = free_port()
        auth0 = auth0_section(sim)
        probe = login_probe_section(sim)
        config = write_config(
            tmp_path / "config.yaml",
            {
                "auth0": auth0,
                "state_dir": str(tmp_path / "state"),
                "telemetry": {"listen": f"127.0.0.1:{port}"},
                "receivers": {"logs_api": {"interval": "1s"}, "login_probe": {**probe, "interval": "2s"}},
                "exporters": {"file": {"path": str(tmp_path / "out.jsonl")}},
            },
        )
        base = f"http://127.0.0.1:{port}"
        with running_collector(config), chromium() as driver:
            wait_for(lambda: _get(f"{base}/healthz"), "the collector's telemetry server answers")
            driver.get(f"{base}/status")
            assert driver.title.startswith("otel-auth0 status")
            ok = wait_for(
                lambda: (r := status_row(driver, "logs_api")).get("State") == "\u2714 OK" and r, "logs_api OK"
            )
            assert ok["Failing since"] == "\u2014"
            wait_for(lambda: status_row(driver, "login_probe").get("State") == "\u2714 OK", "the probe OK")
            fault = {"path_prefix": "/api/v2/logs", "status": 500, "count": 1_000_000}
            httpx.post(
                f"{sim.base_url}/_sim/faults", json=fault, verify=sim.verify, timeout=10
            ).raise_for_status()
            failing = wait_for(
                lambda: (r := status_row(driver, "logs_api")).get("State") == "\u2718 FAILING" and r,
                "logs_api shown failing",
            )
            assert failing["Failing since"] != "\u2014" and "500" in failing["Last error"]
            problems = driver.find_element(By.ID, "problems").text
            assert "logs_api" in problems and "FAILING since" in problems
            assert status_row(driver, "login_probe").get("State") == "\u2714 OK"  # the others keep working
            httpx.delete(f"{sim.base_url}/_sim/faults", verify=sim.verify, timeout=10).raise_for_status()
            recovered = wait_for(
                lambda: (r := status_row(driver, "logs_api")).get("State") == "\u2714 OK" and r,
                "logs_api shown recovered",
            )
            assert recovered["Failing since"] == "\u2014"
            assert (
                "No problems" in driver.find_element(By.ID, "problems").text
                or "logs_api" not in driver.find_element(By.ID, "problems").text
            )
            dom = driver.execute_script("return document.documentElement.outerHTML")
            assert auth0["client_secret"] == client_secret and leaks(dom, [client_secret]) == []
            assert (
                probe["client_secret"] not in dom and probe["password"] not in dom
            )  # the simulator's fixed words


def _get(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def tenant_status_row(driver: Any, tenant: str, receiver: str) -> dict[str, str]:
    """``receiver``'s row in ``tenant``'s block of a tenants status page, reloading first."""
    from selenium.webdriver.common.by import By

    driver.refresh()
    table = driver.find_element(By.CSS_SELECTOR, f"#tenant-{tenant} #{tenant}-receivers table")
    labels = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    for row in table.find_elements(By.CSS_SELECTOR, "tbody tr"):
        cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
        if cells and cells[0] == receiver:
            return dict(zip(labels, cells, strict=True))
    return {}


def test_tenants_status_page_shows_one_tenant_failing_and_recovering_beside_a_healthy_one(
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    secrets = [unguessable(), unguessable()]
    with (
        running_simulator("--state-dir", str(tmp_path / "sim-acme"), "--client-secret", secrets[0]) as acme,
        running_simulator(
            "--state-dir", str(tmp_path / "sim-globex"), "--client-secret", secrets[1]
        ) as globex,
    ):
        port = free_port()
        config = write_config(
            tmp_path / "config.yaml",
            {
                "state_dir": str(tmp_path / "state"),
                "telemetry": {"listen": f"127.0.0.1:{port}"},
                "exporters": {"file": {"path": str(tmp_path / "out.jsonl")}},
                "tenants": [
                    {"name": name, "auth0": auth0_section(sim), "receivers": {"logs_api": {"interval": "1s"}}}
                    for name, sim in (("acme", acme), ("globex", globex))
                ],
            },
        )
        base = f"http://127.0.0.1:{port}"
        with running_collector(config), chromium() as driver:
            wait_for(lambda: _get(f"{base}/healthz"), "the collector's telemetry server answers")
            driver.get(f"{base}/status")
            for tenant in ("acme", "globex"):
                wait_for(
                    lambda t=tenant: tenant_status_row(driver, t, "logs_api").get("State") == "\u2714 OK",
                    f"{tenant}'s logs_api OK",
                )
            fault = {"path_prefix": "/api/v2/logs", "status": 500, "count": 1_000_000}
            httpx.post(
                f"{globex.base_url}/_sim/faults", json=fault, verify=globex.verify, timeout=10
            ).raise_for_status()
            failing = wait_for(
                lambda: (
                    (r := tenant_status_row(driver, "globex", "logs_api")).get("State") == "\u2718 FAILING"
                    and r
                ),
                "globex's logs_api shown failing",
            )
            assert "500" in failing["Last error"]
            assert tenant_status_row(driver, "acme", "logs_api").get("State") == "\u2714 OK"
            problems = driver.find_element(By.ID, "problems").text
            assert "tenant globex, Receivers: logs_api FAILING since" in problems and "acme" not in problems
            summary = {
                row.find_elements(By.TAG_NAME, "td")[0].text: row.find_elements(By.TAG_NAME, "td")[2].text
                for row in driver.find_elements(By.CSS_SELECTOR, "#tenants tbody tr")
            }
            assert summary == {"acme": "\u2714 OK", "globex": "\u2718 FAILING"}
            link = driver.find_element(By.CSS_SELECTOR, '#tenants a[href="#tenant-globex"]')
            assert driver.find_element(By.ID, link.get_attribute("href").rsplit("#", 1)[1]).is_displayed()
            httpx.delete(
                f"{globex.base_url}/_sim/faults", verify=globex.verify, timeout=10
            ).raise_for_status()
            wait_for(
                lambda: tenant_status_row(driver, "globex", "logs_api").get("State") == "\u2714 OK",
                "globex's logs_api shown recovered",
            )
            dom = driver.execute_script("return document.documentElement.outerHTML")
            assert leaks(dom, secrets) == []
