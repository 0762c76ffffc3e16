"""Detections on a fleet, all real processes and sockets: two replicas of ``otel-auth0 run`` sharing one
PostgreSQL database (a real server from the ``postgres_server`` fixture), each serving the Log Stream,
exporting to the test OTLP receiver. A threshold window half filled while one replica holds the tenant's
detections lease is completed after that replica is killed (kill -9) and the other takes over: the rule
fires exactly once, with a count and log ids spanning both replicas.

"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from otel_auth0.local_ports import free_port
from otel_auth0_sim.log_ids import LogIdGenerator
from tests.integration.log_stream_process import TOKEN, as_array, post_items
from tests.otlp_receiver import OtlpReceiver
from tests.otlp_receiver.records import attributes
from tests.support.fleet import Replica, holder, replica_config, start_replica, wait_until

pytestmark = pytest.mark.integration

LEASE_TIME = 3.0
LEASE = "default/detections"  # no auth0 section: the tenant part of lease names is "default"
RULE = "fails_by_ip"
RULES = f"""
rules:
  - id: {RULE}
    title: Failed logins from one IP
    severity: warn
    description: Six failed logins from one IP within ten minutes.
    runbook: Look at the IP.
    match: {{outcome: [failure]}}
    threshold: {{count: 6, window: 10m, group_by: [ip]}}
    dedupe: 1h
"""
IP = "203.0.113.9"
BATCH_SIZE = 100
_ids = LogIdGenerator()


def post(replica: Replica, batch: list[dict[str, Any]]) -> int:
    """POST ``batch`` to the replica's Log Stream: the status code."""
    return post_items(replica.stream_url(), as_array(batch)).status_code


def detections_summary(replica: Replica) -> str:
    """The summary of the replica's status page section "Last detections"."""
    page = httpx.get(f"http://127.0.0.1:{replica.telemetry_port}/status.json", timeout=5).json()
    sections = page["sections"]
    return str(next(s["summary"] for s in sections if s["id"] == "detections"))


@contextmanager
def fleet(tmp_path: Path, dsn: str, receiver: OtlpReceiver, count: int) -> Iterator[list[Replica]]:
    """``count`` replicas serving the Log Stream, with only the test's rule."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    with ExitStack() as stack:
        replicas = []
        for index in range(count):
            name, stream_port, telemetry_port = f"r{index}", free_port(), free_port()
            stream = {"listen": f"127.0.0.1:{stream_port}", "path": "/auth0/logs", "token": TOKEN}
            path = replica_config(
                tmp_path,
                name,
                dsn,
                receiver,
                f"127.0.0.1:{telemetry_port}",
                LEASE_TIME,
                BATCH_SIZE,
                receivers={"log_stream": stream},
                processors={"detections": {"default_rules": False, "rules_files": [str(rules)]}},
            )
            replicas.append(start_replica(stack, tmp_path, name, path, telemetry_port, stream_port))
        yield replicas


def failures(count: int) -> list[dict[str, Any]]:
    """``count`` Log Stream items: failed logins (``f``) from one IP, dated now."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    out = []
    for _ in range(count):
        log_id = _ids.next_id()
        event = {"log_id": log_id, "type": "f", "date": now, "ip": IP, "description": "Wrong password"}
        out.append({"log_id": log_id, "data": event})
    return out


def window(dsn: str) -> tuple[int, int | None] | None:
    """Entries in the rule's window for the IP and the epoch that wrote them (None: no row)."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT state, epoch FROM otel_auth0_detection_groups WHERE rule = %s AND grp = %s",
            (RULE, json.dumps([IP])),
        ).fetchone()
    return (len(json.loads(str(row[0]))["entries"]), row[1]) if row else None


def settled(dsn: str) -> bool:
    """Nothing waits for the rules nor for the exporter."""
    with psycopg.connect(dsn) as conn:
        waiting = conn.execute(
            "SELECT (SELECT COUNT(*) FROM otel_auth0_detection_inbox)"
            " + (SELECT COUNT(*) FROM otel_auth0_items)"
        ).fetchone()
    return waiting is not None and waiting[0] == 0


def detections(receiver: OtlpReceiver) -> list[dict[str, Any]]:
    """The attributes of every detection log record the receiver got."""
    return [
        attributes(received.record.attributes)
        for received in receiver.log_records()
        if received.scope == "otel_auth0.detections"
    ]


def test_a_half_full_window_is_completed_once_after_its_holder_is_killed_and_another_takes_over(
    tmp_path: Path, postgres_dsn: str, otlp_receiver: OtlpReceiver
) -> None:
    with fleet(tmp_path, postgres_dsn, otlp_receiver, 2) as replicas:
        first, epoch = holder(replicas, LEASE)
        victim = next(r for r in replicas if r.name == first)
        survivor = next(r for r in replicas if r is not victim)
        before = failures(3)
        assert post(victim, before) == 200
        assert wait_until(lambda: window(postgres_dsn) == (3, epoch)), window(postgres_dsn)
        half = window(postgres_dsn)
        elsewhere = detections_summary(survivor)
        victim.process.kill()
        killed_at = time.monotonic()
        second, new_epoch = holder([survivor], LEASE, other_than=first)
        takeover = time.monotonic() - killed_at
        after = failures(3)
        assert post(survivor, after) == 200
        assert wait_until(lambda: detections(otlp_receiver) != [])
        assert wait_until(lambda: settled(postgres_dsn))
        assert wait_until(lambda: detections_summary(survivor) == "1 recent detections")
        fired = detections(otlp_receiver)
        sent = [item["log_id"] for item in before + after]
        counts = [d["auth0.detection.count"] for d in fired]
        spanned = sum(log_id in sent for log_id in fired[0]["auth0.detection.log_ids"])
        print(
            f"\n2 replicas: 3 failures posted to {first} (detections lease epoch {epoch}), stored window "
            f"(entries, epoch) {half}; kill -9 of {first}; {second} took the lease over (epoch {new_epoch}) "
            f"{takeover:.1f}s later (lease {LEASE_TIME:.0f}s); 3 more posted to {second}: "
            f"{len(fired)} detection(s) at the receiver, count {counts}, log ids of both: {spanned} of 6"
        )
        print(f"status page of {survivor.name} before the takeover: {elsewhere!r}")
        assert "the replica holding the detections lease evaluates the rules" in elsewhere
        assert second == survivor.name and new_epoch > epoch
        assert [(d["auth0.detection.rule.id"], d["auth0.detection.count"]) for d in fired] == [(RULE, 6)]
        assert list(fired[0]["auth0.detection.log_ids"]) == sent
