"""The status page of a ``tenants:`` list: every tenant's sections, ids and titles naming the tenant,
ids valid for ``/status.json``'s schema even for tenant names differing only in case or punctuation."""

from __future__ import annotations

from pathlib import Path

import jsonschema
from prometheus_client import CollectorRegistry

from otel_auth0.config.loader import parse_config
from otel_auth0.receivers.registry import RECEIVERS
from otel_auth0.runtime import Collector
from otel_auth0.status_page import STATUS_SCHEMA
from otel_auth0.tenants_status import TenantsStatusPage
from tests.support import heartbeat_receiver

REGISTRY = {**RECEIVERS, "heartbeat": heartbeat_receiver.FACTORY}


def collector(tmp_path: Path, name: str) -> Collector:
    data = {
        "state_dir": str(tmp_path / name),
        "exporters": {"file": {"path": str(tmp_path / f"{name}.jsonl")}},
        "receivers": {"heartbeat": {"interval": "50ms", "message": "beat"}},
        "telemetry": {"listen": None},  # the tenants' page is the process's, not each collector's
    }
    return Collector(parse_config(data, REGISTRY), REGISTRY)


def test_every_tenant_has_its_own_sections_named_after_it(tmp_path: Path) -> None:
    names = ["Acme-1", "acme_1", "globex"]
    page = TenantsStatusPage([(name, collector(tmp_path, name), CollectorRegistry()) for name in names])
    status = page.as_json()
    jsonschema.Draft202012Validator(STATUS_SCHEMA).validate(status)
    ids = [section["id"] for section in status["sections"]]
    assert len(ids) == len(set(ids))
    receivers = {s["id"]: s for s in status["sections"] if s["id"].endswith("_receivers")}
    assert list(receivers) == ["acme_1_receivers", "acme_1_1_receivers", "globex_receivers"]
    assert [s["title"] for s in receivers.values()] == [f"tenant {name}: Receivers" for name in names]
    assert all(s["rows"][0]["receiver"] == "heartbeat" for s in receivers.values())
