"""``/``, ``/status`` and ``/status.json`` of a running ``otel-auth0 run`` process: the JSON follows the
documented schema, and a receiver that cannot reach its source shows as failing, with its error and since
when (no browser needed; tests/integration/test_pages_browser.py renders the page in Chromium)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from otel_auth0.local_ports import free_port
from otel_auth0.status_page import STATUS_SCHEMA
from tests.collector_process import poller_only_config, running_collector

pytestmark = pytest.mark.integration


def _status(base: str) -> dict[str, Any] | None:
    try:
        response = httpx.get(f"{base}/status.json", timeout=5.0)
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


def test_status_json_follows_the_schema_and_shows_the_failing_receiver(tmp_path: Path) -> None:
    port = free_port()
    config = poller_only_config(
        tmp_path, port, {"file": {"path": str(tmp_path / "out.jsonl")}}, interval="1s"
    )
    base = f"http://127.0.0.1:{port}"
    with running_collector(config) as collector:
        deadline = time.monotonic() + 60
        while True:
            status = _status(base)
            rows = (
                []
                if status is None
                else next(s["rows"] for s in status["sections"] if s["id"] == "receivers")
            )
            if rows and rows[0]["state"] == "failing":
                break
            assert time.monotonic() < deadline, (
                f"notices never shown failing: {status}\n{collector.stderr_text()}"
            )
            time.sleep(0.2)
        jsonschema.Draft202012Validator(STATUS_SCHEMA).validate(status)
        (row,) = rows
        assert row["receiver"] == "notices" and row["last_success"] is None and row["failing_since"]
        assert row["last_error"] and row["failing_since"] <= row["last_error_at"]
        for path in ("/", "/status"):
            page = httpx.get(f"{base}{path}", timeout=5.0)
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            assert page.headers["cache-control"] == "no-store"
            assert "notices" in page.text and "FAILING" in page.text and 'id="problems"' in page.text
        assert httpx.get(f"{base}/readyz", timeout=5.0).status_code in (200, 503)  # untouched routes remain
