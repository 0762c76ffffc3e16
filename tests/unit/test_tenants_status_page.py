"""The status page of a ``tenants:`` list: a summary row per tenant, then each tenant's own sections
(each carrying its tenant), the problems box naming the tenant, the documented schema, masking; and
the single-tenant page without any of it."""

from __future__ import annotations

import re
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import jsonschema
from prometheus_client import CollectorRegistry

from otel_auth0.collector_config import parse_config
from otel_auth0.runtime import Collector
from otel_auth0.status_page import (
    STATUS_SCHEMA,
    MetricHistory,
    StatusContext,
    StatusPage,
    leases,
    render_html,
)
from otel_auth0.tenants import TenantsCollector
from otel_auth0.tenants_status import TenantsStatusPage
from tests.unit.test_status_page import REGISTRY, config

SECRET = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
PER_PIPELINE = {"overview", "receivers", "queue", "exporters"}


def tenants_config(tmp_path: Path) -> dict[str, Any]:
    return {
        "state_dir": str(tmp_path / "state"),
        "telemetry": {"listen": "127.0.0.1:0"},
        "exporters": {"file": {"path": str(tmp_path / "out.jsonl")}},
        "tenants": [
            {
                "name": name,
                "auth0": {
                    "domain": f"{name}.example.auth0.com",
                    "client_id": "id",
                    "client_secret": "s3cr3t",
                },
                "receivers": {"heartbeat": {"interval": "1s"}},
            }
            for name in ("acme", "globex")
        ],
    }


def tenants_page(tmp_path: Path) -> tuple[TenantsCollector, TenantsStatusPage]:
    collector = TenantsCollector(parse_config(tenants_config(tmp_path), REGISTRY), REGISTRY)
    assert collector.telemetry_server is not None
    page = collector.telemetry_server.status
    assert isinstance(page, TenantsStatusPage)
    return collector, page


def test_each_tenant_has_its_own_sections_under_a_summary_and_its_problems_name_it(tmp_path: Path) -> None:
    collector, page = tenants_page(tmp_path)
    status = collector.tenants["globex"].receiver_statuses()["heartbeat"]
    status.record_error(f"token request answered 401 (access_denied) client_secret={SECRET}")

    document = page.as_json()
    jsonschema.Draft202012Validator(STATUS_SCHEMA).validate(document)
    sections = document["sections"]
    summary = sections[0]
    assert (summary["id"], "tenant" in summary) == ("tenants", False)
    rows = {row["tenant"]: row for row in summary["rows"]}
    assert rows["acme"]["state"] == "ok" and rows["acme"]["domain"] == "acme.example.auth0.com"
    assert rows["globex"]["state"] == "failing" and rows["globex"]["failing"] == "heartbeat"
    assert rows["acme"]["ready"] == "ready"  # a failing heartbeat is no readiness reason (logs_api's is)
    assert "with problems: globex" in summary["summary"]

    by_tenant: dict[str, dict[str, dict[str, Any]]] = {}
    for section in sections[1:]:
        by_tenant.setdefault(section["tenant"], {})[section["id"]] = section
    assert list(by_tenant) == ["acme", "globex"]  # one block per tenant, in configuration order
    for tenant, own in by_tenant.items():
        assert set(own) >= PER_PIPELINE, (tenant, list(own))
        tenant_row = next(r for r in own["overview"]["rows"] if r["item"] == "tenant")
        assert tenant_row["value"] == tenant
    (acme_row,) = by_tenant["acme"]["receivers"]["rows"]
    (globex_row,) = by_tenant["globex"]["receivers"]["rows"]
    assert acme_row["state"] == "stopped" and acme_row["last_error"] is None
    assert globex_row["state"] == "failing" and "answered 401" in globex_row["last_error"]

    html = page.html()
    assert SECRET not in str(document) and SECRET not in html and "s3cr3t" not in html
    problems = html.split('id="problems"', 1)[1].split("</div>", 1)[0]
    assert "tenant globex, Receivers: <strong>heartbeat</strong> FAILING" in problems
    assert "acme" not in problems and "Tenants:" not in problems
    assert '<td><a href="#tenant-globex">globex</a></td>' in html
    assert '<section class="tenant" id="tenant-globex"' in html and ">Tenant acme</h2>" in html
    assert 'id="globex-receivers"' in html and 'id="acme-receivers"' in html
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "element ids are unique on the page"
    assert html.count("<section") == html.count("</section>")


def test_a_tenant_that_recovers_is_ok_again(tmp_path: Path) -> None:
    collector, page = tenants_page(tmp_path)
    status = collector.tenants["acme"].receiver_statuses()["heartbeat"]
    status.record_error("connection refused")
    assert page.summary(0.0).rows[0]["state"] == "failing"
    assert status.last_error_at is not None
    collector.tenants["globex"].pipeline.queue.storage_error = "disk I/O error"
    globex = page.summary(0.0).rows[1]
    assert (globex["state"], globex["failing"]) == ("failing", "queue")
    collector.tenants["globex"].pipeline.queue.storage_error = None
    status.last_success = status.last_error_at + 1
    rows = page.summary(status.last_success).rows
    assert [(row["tenant"], row["state"], row["failing"]) for row in rows] == [
        ("acme", "ok", None),
        ("globex", "ok", None),
    ]


def test_the_single_tenant_page_has_no_tenant_keys_or_summary(tmp_path: Path) -> None:
    collector = Collector(parse_config(config(tmp_path, "127.0.0.1:0"), REGISTRY), REGISTRY)
    assert collector.telemetry_server is not None
    page = collector.telemetry_server.status
    assert type(page) is StatusPage
    document = page.as_json()
    assert [s for s in document["sections"] if "tenant" in s or s["id"] == "tenants"] == []
    html = render_html(document)
    assert 'class="tenant"' not in html and "<h3" not in html and 'id="receivers"' in html


def test_a_tenants_leases_section_shows_only_its_own_leases() -> None:
    """Every lease is in one table on a fleet; a tenant's block shows its own, the single-tenant page all."""
    report = [
        {"lease": f"{tenant}/logs_api", "holder": "replica-1", "mine": True, "epoch": 3, "seconds_left": 9.5}
        for tenant in ("acme", "globex")
    ]
    collector = cast(
        Any, SimpleNamespace(lease_report=lambda: report, leases=SimpleNamespace(names=("globex/logs_api",)))
    )
    history = MetricHistory(CollectorRegistry())
    own = leases(StatusContext(collector, time.time(), history, "globex"))
    assert own is not None and [row["lease"] for row in own.rows] == ["globex/logs_api"]
    every = leases(StatusContext(collector, time.time(), history))
    assert every is not None and [row["lease"] for row in every.rows] == ["acme/logs_api", "globex/logs_api"]
