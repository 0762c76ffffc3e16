"""The status page's model: sections from providers (a new receiver kind and a new section appear by
themselves, a failing provider shows its error), the sampled self-metrics, receiver states, the JSON
Schema (and its copy in docs/operations.md), and no page when ``telemetry.listen`` is null."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from prometheus_client import CollectorRegistry, Counter

from otel_auth0.collector_config import parse_config
from otel_auth0.receivers.registry import RECEIVERS
from otel_auth0.runtime import Collector
from otel_auth0.status_page import (
    PROVIDERS,
    STATUS_SCHEMA,
    MetricHistory,
    Section,
    StatusContext,
    receiver_state,
    register_section,
)
from tests.support import heartbeat_receiver

REPO = Path(__file__).resolve().parents[2]
REGISTRY = {**RECEIVERS, "heartbeat": heartbeat_receiver.FACTORY}


def config(tmp_path: Path, listen: str | None) -> dict[str, object]:
    return {
        "state_dir": str(tmp_path / "state"),
        "telemetry": {"listen": listen},
        "exporters": {"file": {"path": str(tmp_path / "out.jsonl")}},
        "receivers": {"heartbeat": {"interval": "50ms", "message": "beat"}},
    }


def test_no_status_page_when_telemetry_listen_is_null(tmp_path: Path) -> None:
    collector = Collector(parse_config(config(tmp_path, None), REGISTRY), REGISTRY)
    assert collector.telemetry_server is None


def test_a_new_receiver_kind_and_a_registered_section_appear_by_themselves(tmp_path: Path) -> None:
    collector = Collector(parse_config(config(tmp_path, "127.0.0.1:0"), REGISTRY), REGISTRY)
    assert collector.telemetry_server is not None
    page = collector.telemetry_server.status
    assert page is not None

    def leases(context: StatusContext) -> Section:
        return Section(
            "leases",
            "Leases",
            [("lease", "Lease"), ("holder", "Holder")],
            [{"lease": "logs_api", "holder": "r1"}],
        )

    def broken(context: StatusContext) -> Section:
        raise RuntimeError("cannot read the leases")

    register_section(leases)
    register_section(broken)
    try:

        async def scenario() -> None:
            stop = asyncio.Event()
            running = asyncio.create_task(collector.run(stop))
            deadline = time.monotonic() + 60
            while True:  # until a sample of the metrics holds the heartbeat's events
                status = await asyncio.to_thread(page.as_json)
                rows = next(s["rows"] for s in status["sections"] if s["id"] == "receivers")
                if rows and rows[0]["events_last_minute"]:
                    break
                assert time.monotonic() < deadline, f"the page never counted the heartbeat's events: {rows}"
                await asyncio.sleep(0.2)
            stop.set()
            await running
            jsonschema.Draft202012Validator(STATUS_SCHEMA).validate(status)
            sections = {section["id"]: section for section in status["sections"]}
            assert list(sections)[:4] == ["overview", "receivers", "queue", "exporters"]
            (row,) = sections["receivers"]["rows"]
            assert row["receiver"] == "heartbeat" and row["state"] == "ok" and row["events_last_minute"] > 0
            assert sections["leases"]["rows"] == [{"lease": "logs_api", "holder": "r1"}]
            assert sections["broken"]["rows"] == [
                {"error": "RuntimeError: cannot read the leases", "state": "failing"}
            ]
            html = page.html()
            assert '<meta http-equiv="refresh"' in html and "heartbeat" in html and "Leases" in html
            assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)  # no external asset

        asyncio.run(scenario())
    finally:
        PROVIDERS.remove(leases)
        PROVIDERS.remove(broken)


def test_metric_history_counts_increase_over_a_window_and_the_last_increase() -> None:
    registry = CollectorRegistry()
    events = Counter("otel_auth0_receiver_events", "events", ["otel_auth0_receiver"], registry=registry)
    history = MetricHistory(registry)
    history.sample(now=1000.0)  # counters start at zero with the process
    events.labels("logs_api").inc(5)
    history.sample(now=1030.0)
    events.labels("logs_api").inc(2)
    events.labels("log_stream").inc(4)
    history.sample(now=1100.0)
    name = "otel_auth0_receiver_events_total"
    assert history.increase(name, 60, otel_auth0_receiver="logs_api") == 2  # since the sample at 1030
    assert history.increase(name, 3600, otel_auth0_receiver="logs_api") == 7  # since the start
    assert history.increase(name, 3600) == 11  # every receiver
    assert history.last_increase(name, otel_auth0_receiver="logs_api") == 1100.0
    assert history.last_increase(name, otel_auth0_receiver="log_stream") == 1100.0
    assert history.latest(name, otel_auth0_receiver="log_stream") == 4
    assert history.latest("otel_auth0_unknown_total") is None


@pytest.mark.parametrize(
    ("running", "restarting", "last_success", "last_error_at", "state"),
    [
        (True, False, None, None, "idle"),
        (True, False, 10.0, None, "ok"),
        (True, False, 10.0, 12.0, "failing"),
        (True, False, 12.0, 10.0, "ok"),
        (False, True, 10.0, 12.0, "restarting"),
        (False, False, 10.0, None, "stopped"),
    ],
)
def test_receiver_state(
    running: bool, restarting: bool, last_success: float | None, last_error_at: float | None, state: str
) -> None:
    assert receiver_state(running, restarting, last_success, last_error_at) == state


def test_docs_carry_the_schema_and_every_section_and_column() -> None:
    doc = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    part = doc.split("## The status page", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```json\n(.*?)\n```", part, re.S)
    assert block is not None and json.loads(block.group(1)) == STATUS_SCHEMA
    source = "".join(
        (REPO / "otel_auth0" / name).read_text(encoding="utf-8")
        for name in ("status_page.py", "tenants_status.py")
    )
    for section_id in ("overview", "receivers", "queue", "exporters", "detections", "login_probe", "tenants"):
        assert f"(`{section_id}`)" in part, section_id
    keys = set(re.findall(r'\("([a-z_]+)", "[A-Z][^"]*"\)', source)) - {"error"}
    assert keys and not [key for key in keys if f"`{key}`" not in part]


def test_failing_since_is_the_first_error_after_the_last_success(monkeypatch: pytest.MonkeyPatch) -> None:
    from otel_auth0.receivers import supervision

    clock = iter([100.0, 105.0, 130.0])
    monkeypatch.setattr(supervision.time, "time", lambda: next(clock))
    status = supervision.ReceiverStatus()
    status.record_error("first")  # 100: failing since 100
    status.record_error("again")  # 105: still since 100
    assert (status.failing_since, status.last_error_at) == (100.0, 105.0)
    status.last_success = 120.0  # recovered
    status.record_error("new outage")  # 130: a new failing period
    assert (status.failing_since, status.last_error, status.last_error_at) == (130.0, "new outage", 130.0)


def test_last_detections_show_rule_and_count_never_the_group(tmp_path: Path) -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace
    from typing import cast

    from otel_auth0.status_page import detections
    from otel_auth0_sim.scenarios import brute_force
    from tests.unit.detections.builders import T0
    from tests.unit.detections.pipeline import live_intake
    from tests.unit.detections.test_default_rules import generator

    intake, _, _ = live_intake(tmp_path)
    failures = [e for e in brute_force(generator(), datetime.fromtimestamp(T0, UTC)) if e["type"] == "fp"]
    for index, event in enumerate(failures):
        event["log_id"] = f"bf{index:054d}"
    intake.submit_events(failures[:20], "log_stream")
    collector = cast(Any, SimpleNamespace(pipeline=SimpleNamespace(intake=intake)))
    section = detections(StatusContext(collector, time.time(), MetricHistory(CollectorRegistry())))
    assert section is not None
    row = next(row for row in section.rows if row["rule"] == "brute_force")  # brute_force_slow fires too
    assert (row["severity"], row["count"]) == ("error", 20)
    shown = json.dumps(section.as_json())
    assert failures[0]["user_name"] not in shown and failures[0]["ip"] not in shown


def test_the_login_slo_shows_burn_rates_and_budget_left_never_the_group(tmp_path: Path) -> None:
    """Six hours of good probe runs, then five failures in the last hour: the fast-burn rule burns, and
    the page says so with each window's burn rate and the budget left."""
    from types import SimpleNamespace
    from typing import cast

    from otel_auth0.status_page import login_slo
    from tests.unit.detections.builders import probe
    from tests.unit.detections.pipeline import live_intake

    intake, _, _ = live_intake(tmp_path)
    assert intake.detector is not None
    collector = cast(Any, SimpleNamespace(pipeline=SimpleNamespace(intake=intake)))
    context = StatusContext(collector, time.time(), MetricHistory(CollectorRegistry()))
    assert login_slo(context) is None  # no probe result yet
    runs = [probe(i * 60, True, 0.4) for i in range(360)] + [
        probe((360 + i) * 60, False, 0.3) for i in range(5)
    ]
    intake.detector.observe(runs)
    section = login_slo(context)
    assert section is not None
    rows = {row["rule"]: row for row in section.rows}
    fast = rows["login_slo_fast_burn"]
    assert fast["state"] == "failing" and fast["objective"] == "99.5%"
    assert "1h 16.67x (5/60)" in str(fast["burn_rates"])  # 5 of the last hour's 60 runs: 8.3% / 0.5%
    assert str(fast["error_budget_remaining"]).endswith("%")
    assert "login_slo_fast_burn" in section.summary
    assert "group" not in json.dumps(section.as_json())
