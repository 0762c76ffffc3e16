"""The logs_api poller of a real ``otel-auth0 run`` keeps polling past poison events served by the
simulator (events that used to make conversion raise and stop the poller for good): every event
arrives exactly once, and the poller goes on with events logged after them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from otel_auth0_sim.process import running_simulator
from tests.collector_process import running_collector
from tests.integration.test_logs_api_e2e import collector_config, received_ids, sim_post, wait_for_ids
from tests.otlp_receiver import OtlpReceiver

pytestmark = pytest.mark.integration

POISON = [
    # A date before 1970: a negative OTLP timestamp used to make encoding raise.
    {"type": "s", "date": "0001-01-01T00:00:00Z", "description": "poison: date out of range"},
    # Integers beyond 64 bits where numbers are expected.
    {
        "type": "f",
        "description": "poison: huge numbers",
        "user_id": 10**40,
        "details": {"elapsedTime": 10**30},
    },
    # Odd types everywhere.
    {"type": "fp", "description": ["not", "text"], "isMobile": "yes", "scope": {"a": 1}, "location_info": 7},
]


def test_poison_events_never_stop_the_poller(tmp_path: Path, otlp_receiver: OtlpReceiver) -> None:
    with running_simulator(
        "--no-tls", "--events-per-second", "0", "--seed", "16", "--state-dir", str(tmp_path / "sim")
    ) as sim:
        before = set(sim_post(sim, "/_sim/events", {"generate": 20})["log_ids"])
        poison = set(sim_post(sim, "/_sim/events", {"events": POISON})["log_ids"])
        config = collector_config(tmp_path, sim, otlp_receiver, take=10)
        with running_collector(config) as collector:
            wait_for_ids(otlp_receiver, before | poison)
            after = set(sim_post(sim, "/_sim/events", {"generate": 20})["log_ids"])  # the poller goes on
            wait_for_ids(otlp_receiver, after)
            assert collector.terminate() == 0
            log = collector.stderr_text()
    counts = Counter(received_ids(otlp_receiver))
    assert set(counts) == before | poison | after and set(counts.values()) == {1}
    assert "Traceback" not in log and "poll step failed" not in log
