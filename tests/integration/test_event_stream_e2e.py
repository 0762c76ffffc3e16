"""Auth0 Event Streams end to end: simulator → ``receivers.event_stream`` → the test OTLP receiver.

Real processes over loopback: the simulator pushes CloudEvents for its user lifecycle traffic to the
collector's webhook with a bearer token. Proves: a wrong token is 401 and a body that is not a
CloudEvent is a 400 naming the problem (nothing stored); every event reaches the backend across
``kill -9`` of the collector, duplicates only from export batches in flight at a kill; after an
outage longer than the simulator's retries, the collector's gap filling (delivery history, redelivery)
brings every failed delivery in.
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from otel_auth0.local_ports import free_port
from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.collector_process import running_collector, write_config
from tests.integration.log_stream_process import otlp_exporter
from tests.integration.test_crash_safety import resent_originals
from tests.otlp_receiver import OtlpReceiver, attributes

pytestmark = pytest.mark.integration

TOKEN = "event-stream-token-for-tests"
PATH = "/auth0/events"
STREAM_ID = "est_0000000000000000000001"


def collector_config(
    state_dir: Path, port: int, otlp_endpoint: str, sim: SimulatorHandle | None = None, **section: Any
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "state_dir": str(state_dir),
        "receivers": {
            "event_stream": {"listen": f"127.0.0.1:{port}", "path": PATH, "token": TOKEN, **section}
        },
        "exporters": {"otlp": otlp_exporter(otlp_endpoint)},
        "queue": {"batch_size": 20, "max_backoff": "500ms"},
    }
    if sim is not None:
        config["auth0"] = {
            "domain": sim.info["domain"],
            "scheme": "http",
            "client_id": sim.info["client_id"],
            "client_secret": sim.info["client_secret"],
        }
    return config


def sim_stats(sim: SimulatorHandle) -> dict[str, Any]:
    stats: dict[str, Any] = httpx.get(f"{sim.base_url}/_sim/event-streams", timeout=10).json()
    return stats


def event_requests(backend: OtlpReceiver) -> list[list[tuple[str, bytes]]]:
    """Per received logs request: (event id, record bytes) of its Event Streams records."""
    with backend._cond:
        batches = list(backend.resource_logs)
    return [
        [
            (str(attributes(r.attributes)["cloudevents.event_id"]), r.SerializeToString())
            for scope in resource_logs.scope_logs
            if scope.scope.name == "otel_auth0.auth0_events"
            for r in scope.log_records
        ]
        for resource_logs in batches
    ]


def received_event_ids(backend: OtlpReceiver) -> list[str]:
    return [str(v) for v in backend.log_attribute_values("cloudevents.event_id")]


def cloud_event(event_id: str, kind: str = "user.created") -> dict[str, Any]:
    return {
        "id": event_id,
        "source": "urn:auth0:tenant.example",
        "specversion": "1.0",
        "type": kind,
        "time": "2026-11-29T01:02:03.456Z",
        "data": {"object": {"user_id": "auth0|abc123", "email": "ada@example.com"}},
        "a0tenant": "acme",
        "a0stream": STREAM_ID,
    }


def post(url: str, body: Any, token: str = TOKEN, content_type: str = "application/json") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    return httpx.post(url, content=json.dumps(body).encode(), headers=headers, timeout=30)


def test_bad_token_is_401_and_a_non_cloudevent_a_400_naming_the_problem(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    port, health = free_port(), free_port()
    config = collector_config(tmp_path / "state", port, otlp_receiver.http_endpoint)
    config["telemetry"] = {"listen": f"127.0.0.1:{health}"}
    path = write_config(tmp_path / "config.yaml", config)
    with running_collector(path, tmp_path / "collector.log", port) as collector:
        url = f"{collector.base_url}{PATH}"
        wrong = post(url, cloud_event("evt_wrongtoken000000000001"), token="not-the-token")
        log_item = {"log_id": "90020260101000000000000000000000000000000000000000001", "data": {"type": "s"}}
        as_log = post(url, [log_item])
        not_event = post(url, {"hello": "world"})
        batch_with_bad = post(
            url,
            [cloud_event("evt_batchgood0000000000001"), {"id": "x"}],
            content_type="application/cloudevents-batch+json",
        )
        good = post(
            url, cloud_event("evt_good00000000000000001"), content_type="application/cloudevents+json"
        )
        batch = post(
            url,
            [
                cloud_event("evt_batch0000000000000001"),
                cloud_event("evt_batch0000000000000002", "user.deleted"),
            ],
            content_type="application/cloudevents-batch+json",
        )
        again = post(url, cloud_event("evt_good00000000000000001"))
        otlp_receiver.wait_for(lambda: len(received_event_ids(otlp_receiver)) >= 3, timeout=60)
        metrics = httpx.get(f"http://127.0.0.1:{health}/metrics", timeout=10).text
        exit_code = collector.terminate()

    assert wrong.status_code == 401
    assert as_log.status_code == 400 and "Log Stream" in as_log.json()["reason"]
    assert not_event.status_code == 400
    assert "missing or empty id, source, specversion, type" in not_event.json()["reason"]
    assert batch_with_bad.status_code == 400 and "item 1" in batch_with_bad.json()["reason"]
    assert good.status_code == 200 and good.json()["accepted"] == 1
    assert batch.status_code == 200 and batch.json()["accepted"] == 2
    assert again.status_code == 200 and again.json() == {"accepted": 0, "duplicates": 1, "rejected": 0}
    assert exit_code == 0
    source = 'otel_auth0_receiver="event_stream"'
    series = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if source in line
    }
    rejected = [v for k, v in series.items() if "rejected_events" in k and "not_cloudevent" in k]
    assert rejected == [3.0]  # the log item, the object without id/source/..., the batch with a bad item
    assert [v for k, v in series.items() if k.startswith("otel_auth0_receiver_events_total")] == [3.0]
    assert [v for k, v in series.items() if k.startswith("otel_auth0_receiver_duplicates_total")] == [1.0]
    assert [v for k, v in series.items() if "receiver_errors" in k and "unauthorized" in k] == [1.0]
    ids = Counter(received_event_ids(otlp_receiver))
    # Nothing of the refused bodies was stored; the duplicate delivery was recognised.
    assert ids == Counter(
        ["evt_good00000000000000001", "evt_batch0000000000000001", "evt_batch0000000000000002"]
    )
    records = {
        attributes(r.record.attributes)["cloudevents.event_id"]: r for r in otlp_receiver.log_records()
    }
    deleted = records["evt_batch0000000000000002"]
    assert deleted.record.event_name == "auth0.event.user.deleted"
    assert deleted.scope == "otel_auth0.auth0_events"
    values = attributes(deleted.record.attributes)
    assert values["cloudevents.event_type"] == "user.deleted"
    assert values["cloudevents.event_source"] == "urn:auth0:tenant.example"
    assert values["cloudevents.event_spec_version"] == "1.0"
    assert values["user.id"] == values["enduser.id"] == "auth0|abc123"
    assert values["auth0.event_stream.id"] == STREAM_ID


KILLS = 6
DELETIONS = 30


def test_every_event_once_across_kill_9(tmp_path: Path, otlp_receiver: OtlpReceiver) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    port = free_port()
    sim_args = [
        "--no-tls",
        "--state-dir",
        str(tmp_path / "sim"),
        "--events-per-second",
        "40",
        "--max-events",
        "600",
        "--mgmt-rate-limit",
        "50",
        "--event-stream-url",
        f"http://127.0.0.1:{port}{PATH}",
        "--event-stream-token",
        TOKEN,
        "--event-stream-format",
        "batch",
        "--event-stream-batch-size",
        "5",
        "--event-stream-retries",
        "1",
    ]
    with running_simulator(*sim_args) as sim:
        config = collector_config(
            tmp_path / "state",
            port,
            otlp_receiver.http_endpoint,
            sim,
            gap_fill={"stream_id": STREAM_ID, "interval": "1s", "lookback": "1h", "settle": "10m"},
        )
        path = write_config(tmp_path / "config.yaml", config)
        stderr = tmp_path / "collector.log"
        httpx.post(
            f"{sim.base_url}/_sim/event-streams",
            json={"emit": "user.deleted", "count": DELETIONS},
            timeout=10,
        )
        for kill in range(KILLS):
            with running_collector(path, stderr, port) as collector:
                if kill % 2:
                    time.sleep(rng.uniform(0.0, 1.5))
                else:
                    before = otlp_receiver.log_record_count
                    with contextlib.suppress(TimeoutError):
                        otlp_receiver.wait_for(lambda n=before: otlp_receiver.log_record_count > n, timeout=3)
                collector.kill()
        with running_collector(path, stderr, port) as collector:
            generated = lambda: httpx.get(f"{sim.base_url}/_sim/stats", timeout=10).json()["generated"]  # noqa: E731
            otlp_receiver.wait_for(lambda: generated() >= 600, timeout=120)
            expected = set(sim_stats(sim)["events"])
            otlp_receiver.wait_for(lambda: expected <= set(received_event_ids(otlp_receiver)), timeout=120)
            otlp_receiver.wait_for(lambda: not sim_stats(sim)["failed"], timeout=60)
            exit_code = collector.terminate()
        final = sim_stats(sim)

    requests = event_requests(otlp_receiver)
    received = [event_id for request in requests for event_id, _ in request]
    counts = Counter(received)
    originals, resent, different = resent_originals(requests)
    figures = {
        "seed": seed,
        "events": len(expected),
        "received": len(received),
        "unique": len(counts),
        "duplicates": resent,
        "requests_in_flight_resent": len(originals),
        "posts": final["posts"],
        "failed_posts": final["failures"],
    }
    print("\nevent-stream kill -9 figures:", json.dumps(figures))
    assert exit_code == 0
    assert len(expected) > DELETIONS  # the traffic's own lifecycle events came too
    assert expected == set(counts)  # none lost, nothing invented
    # Only records of export requests in flight at a kill were sent twice (at most one request per
    # kill), byte-identical: redeliveries by the simulator and gap filling were all deduplicated.
    assert len(originals) <= KILLS
    assert resent <= sum(len(requests[index]) for index in originals)
    assert different == set()


def test_gap_filled_after_an_outage_from_the_delivery_history(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    port = free_port()  # nothing listens there until the collector starts
    sim_args = [
        "--no-tls",
        "--state-dir",
        str(tmp_path / "sim"),
        "--events-per-second",
        "0",
        "--event-stream-url",
        f"http://127.0.0.1:{port}{PATH}",
        "--event-stream-token",
        TOKEN,
        "--event-stream-retries",
        "0",
    ]
    with running_simulator(*sim_args) as sim:
        emitted = [
            event_id
            for kind in ("user.created", "user.deleted")
            for event_id in httpx.post(
                f"{sim.base_url}/_sim/event-streams", json={"emit": kind, "count": 20}, timeout=10
            ).json()["emitted"]
        ]
        httpx.post(f"{sim.base_url}/_sim/events", json={"generate": 300}, timeout=10)
        # Outage: every delivery fails and, with no retries left, stays failed in the delivery history.
        otlp_receiver.wait_for(
            lambda: sim_stats(sim)["pending"] == 0 and len(sim_stats(sim)["failed"]) >= 40, timeout=60
        )
        outage = sim_stats(sim)
        assert set(emitted) <= set(outage["failed"]) and outage["delivered"] == 0

        config = collector_config(
            tmp_path / "state",
            port,
            otlp_receiver.http_endpoint,
            sim,
            gap_fill={"stream_id": STREAM_ID, "interval": "1s", "lookback": "1h"},
        )
        path = write_config(tmp_path / "config.yaml", config)
        with running_collector(path, tmp_path / "collector.log", port) as collector:
            expected = set(outage["events"])
            otlp_receiver.wait_for(lambda: expected <= set(received_event_ids(otlp_receiver)), timeout=90)
            otlp_receiver.wait_for(lambda: not sim_stats(sim)["failed"], timeout=60)
            exit_code = collector.terminate()
        requests = httpx.get(f"{sim.base_url}/_sim/stats", timeout=10).json()["requests"]

    redeliveries = sum(sum(v.values()) for p, v in requests.items() if "/redeliver/" in p)
    history_reads = sum(sum(v.values()) for p, v in requests.items() if p.endswith("/deliveries"))
    assert exit_code == 0
    assert Counter(received_event_ids(otlp_receiver)) == Counter(expected)  # each once
    assert redeliveries >= len(outage["failed"]) and history_reads >= 1
    # The 20 deletions went to the detection rules once, as they arrived by redelivery.
    detections = [r for r in otlp_receiver.log_records() if r.scope == "otel_auth0.detections"]
    assert [r.record.event_name for r in detections] == ["auth0.detection.mass_user_deletion"]
    assert attributes(detections[0].record.attributes)["auth0.detection.count"] == 20
