"""The status page of a real ``otel-auth0 run`` with a two-tenant configuration against two real
simulators, one tenant with a wrong client secret: ``/status.json`` (valid against the documented
schema) shows that tenant's logs_api failing with the reason and the other tenant's ok; the HTML page's
problems box names the failing tenant; no secret shows anywhere."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from otel_auth0.status_page import STATUS_SCHEMA
from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.collector_process import running_collector, write_config
from tests.integration.log_stream_process import free_port
from tests.integration.test_tenants_e2e import tenant_entry

pytestmark = pytest.mark.integration

WRONG_SECRET = "not-the-secret-of-globex"


@contextmanager
def two_simulators(tmp_path: Path) -> Iterator[dict[str, SimulatorHandle]]:
    with ExitStack() as stack:
        yield {
            tenant: stack.enter_context(
                running_simulator(
                    "--no-tls",
                    "--state-dir",
                    str(tmp_path / f"sim-{tenant}"),
                    "--events-per-second",
                    "20",
                    "--max-events",
                    "40",
                )
            )
            for tenant in ("acme", "globex")
        }


def status_json(base: str) -> dict[str, Any] | None:
    try:
        response = httpx.get(f"{base}/status.json", timeout=10)
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


def logs_api_rows(status: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The logs_api row of each tenant's receivers section."""
    if status is None:
        return {}
    return {
        section["tenant"]: row
        for section in status["sections"]
        if section["id"] == "receivers" and "tenant" in section
        for row in section["rows"]
        if row["receiver"] == "logs_api"
    }


def shown(rows: dict[str, dict[str, Any]]) -> bool:
    """globex failing with its reason, acme ok with events counted."""
    globex, acme = rows.get("globex"), rows.get("acme")
    return (
        globex is not None
        and acme is not None
        and globex["state"] == "failing"
        and "401" in str(globex["last_error"])
        and acme["state"] == "ok"
        and acme["events_last_hour"] > 0
    )


def test_the_status_page_shows_the_tenant_with_a_wrong_secret_failing_and_the_other_ok(
    tmp_path: Path,
) -> None:
    telemetry_port = free_port()
    base = f"http://127.0.0.1:{telemetry_port}"
    with two_simulators(tmp_path) as sims:
        config = {
            "state_dir": str(tmp_path / "state"),
            "tenants": [
                tenant_entry(tenant, sim, None, secret=WRONG_SECRET if tenant == "globex" else None)
                for tenant, sim in sims.items()
            ],
            "exporters": {"file": {"path": str(tmp_path / "out.jsonl")}},
            "telemetry": {"listen": f"127.0.0.1:{telemetry_port}"},
        }
        path = write_config(tmp_path / "config.yaml", config)
        with running_collector(path, tmp_path / "collector.log") as collector:
            deadline = time.monotonic() + 90
            status = status_json(base)
            while not shown(logs_api_rows(status)):
                assert time.monotonic() < deadline, (
                    f"never shown: {logs_api_rows(status)}\n{collector.stderr_text()}"
                )
                time.sleep(0.3)
                status = status_json(base)
            assert status is not None
            jsonschema.Draft202012Validator(STATUS_SCHEMA).validate(status)
            rows = logs_api_rows(status)
            globex, acme = rows["globex"], rows["acme"]
            print(
                f"globex logs_api: {globex['state']} since {globex['failing_since']}: "
                f"{globex['last_error']}; "
                f"acme logs_api: {acme['state']}, {acme['events_last_hour']} events in the last hour"
            )
            assert globex["last_success"] is None and globex["failing_since"]
            assert acme["last_success"] and acme["last_error"] is None

            (summary,) = [s for s in status["sections"] if s["id"] == "tenants"]
            by_tenant = {row["tenant"]: row for row in summary["rows"]}
            assert by_tenant["globex"]["state"] == "failing" and by_tenant["globex"]["failing"] == "logs_api"
            assert by_tenant["globex"]["domain"] == sims["globex"].info["domain"]
            assert by_tenant["acme"]["state"] == "ok" and by_tenant["acme"]["failing"] is None
            overviews = {
                s["tenant"]: s for s in status["sections"] if s["id"] == "overview" and "tenant" in s
            }
            reasons = [r["value"] for r in overviews["globex"]["rows"] if r["item"] == "not ready because"]
            assert any("logs_api" in reason for reason in reasons), overviews["globex"]
            assert not [r for r in overviews["acme"]["rows"] if r["item"] == "not ready because"]

            page = httpx.get(f"{base}/status", timeout=10)
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            problems = page.text.split('id="problems"', 1)[1].split("</div>", 1)[0]
            assert "tenant globex, Receivers: <strong>logs_api</strong> FAILING since" in problems
            assert "tenant acme" not in problems
            secrets = [WRONG_SECRET, *(sim.info["client_secret"] for sim in sims.values())]
            for text in (page.text, httpx.get(f"{base}/status.json", timeout=10).text):
                assert not [secret for secret in secrets if secret in text]
            assert collector.terminate() == 0, collector.stderr_text()
