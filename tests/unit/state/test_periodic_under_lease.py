"""On the PostgreSQL state backend a periodic receiver is singleton work: the collector runs it under
its lease (``<tenant>/<receiver>``), with a real PostgreSQL server, and what it emits reaches the
exporter. The test-only ``heartbeat`` receiver is a :class:`PeriodicReceiver` like the status, notices,
endpoint check and probe receivers."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from otel_auth0.collector_config import load_config
from otel_auth0.exporters.file import read_otlp_json_lines
from otel_auth0.receivers.periodic import PeriodicReceiver
from otel_auth0.receivers.registry import RECEIVERS
from otel_auth0.runtime import Collector
from tests.support import heartbeat_receiver

REGISTRY = {**RECEIVERS, "heartbeat": heartbeat_receiver.FACTORY}
LEASE = "default/heartbeat"


def test_a_periodic_receiver_runs_under_its_lease_on_postgresql(tmp_path: Path, postgres_dsn: str) -> None:
    path = tmp_path / "otel-auth0.yaml"
    path.write_text(
        f"state_dir: {tmp_path / 'state'}\n"
        "state:\n  backend: postgres\n  dsn: ${DSN}\n"
        "telemetry:\n  listen: null\n"
        f"exporters:\n  file:\n    path: {tmp_path / 'out.jsonl'}\n"
        "receivers:\n  heartbeat:\n    interval: 50ms\n    message: leased\n",
        encoding="utf-8",
    )
    collector = Collector(load_config(path, {"DSN": postgres_dsn}, receivers=REGISTRY), REGISTRY)
    assert all(isinstance(receiver, PeriodicReceiver) for receiver in collector.receivers)
    assert collector.leases is not None and collector.leases.names == (LEASE,)
    status = collector.receiver_statuses()["heartbeat"]

    async def scenario() -> tuple[dict[str, int], bool]:
        stop = asyncio.Event()
        running = asyncio.create_task(collector.run(stop))
        deadline = time.monotonic() + 60
        while status.last_success is None:
            assert time.monotonic() < deadline, "the heartbeat never ran under its lease"
            await asyncio.sleep(0.02)
        held = dict(collector.leases.held) if collector.leases is not None else {}
        stop.set()
        return held, await running

    held, flushed = asyncio.run(scenario())
    print(f"lease {LEASE} held at epoch {held.get(LEASE)} while the heartbeat ran")
    assert LEASE in held and held[LEASE] >= 1
    assert flushed, "the queue was not flushed on stop"
    bodies = {
        record["body"]["stringValue"]
        for line in read_otlp_json_lines(tmp_path / "out.jsonl")
        for resource in line.get("resourceLogs", ())
        for scope in resource["scopeLogs"]
        if scope["scope"]["name"] == heartbeat_receiver.SCOPE
        for record in scope["logRecords"]
    }
    assert bodies == {"leased"}
    assert status.restarts == 0
