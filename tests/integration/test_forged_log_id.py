"""Issue 25.2: a log id that is not the tenant's (another 3-digit prefix, or stamped an hour ahead) is
delivered but never becomes the poller's cursor: later real events are all fetched, and the checkpoint
survives a restart unchanged by the forgery. Simulator ↔ ``otel-auth0 run`` ↔ test OTLP receiver."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from otel_auth0.receivers.log_ids import PREFIX_CHECKPOINT
from otel_auth0.receivers.logs_api import CHECKPOINT
from otel_auth0.state.checkpoints import read_checkpoints
from otel_auth0_sim.process import running_simulator
from tests.collector_process import running_collector
from tests.integration.test_logs_api_e2e import collector_config, received_ids, sim_post, wait_for_ids
from tests.otlp_receiver import OtlpReceiver

pytestmark = pytest.mark.integration

FORGED = "999" + "20260101000000" + "0" * 39


def ahead_by(seconds: float) -> str:
    return "900" + time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() + seconds)) + "0" * 39


def test_a_forged_log_id_never_moves_the_checkpoint(tmp_path: Path, otlp_receiver: OtlpReceiver) -> None:
    args = ("--no-tls", "--events-per-second", "0", "--seed", "25", "--state-dir", str(tmp_path / "sim"))
    with running_simulator(*args) as sim:
        first = set(sim_post(sim, "/_sim/events", {"generate": 5})["log_ids"])
        config = collector_config(tmp_path, sim, otlp_receiver)
        state = tmp_path / "state"
        ahead = ahead_by(59 * 60)
        with running_collector(config):
            wait_for_ids(otlp_receiver, first)
            forged = sim_post(
                sim,
                "/_sim/events",
                {"events": [{"type": "s", "log_id": FORGED}, {"type": "f", "log_id": ahead}]},
            )["log_ids"]
            assert forged == [FORGED, ahead]
            wait_for_ids(otlp_receiver, {FORGED, ahead})  # the events themselves are delivered
            later = set(sim_post(sim, "/_sim/events", {"generate": 10})["log_ids"])
            wait_for_ids(otlp_receiver, later)
        cursor = read_checkpoints(state, [CHECKPOINT, PREFIX_CHECKPOINT])
        assert cursor[CHECKPOINT].value == max(first | later)
        assert cursor[PREFIX_CHECKPOINT].value == "900 api"
        with running_collector(config):
            again = set(sim_post(sim, "/_sim/events", {"generate": 10})["log_ids"])
            wait_for_ids(otlp_receiver, again)
        after = read_checkpoints(state, [CHECKPOINT])[CHECKPOINT].value
        assert after == max(first | later | again)
        stats = httpx.get(f"{sim.base_url}/_sim/stats", timeout=10).json()
        assert stats["stored"] == 27
    counts = Counter(received_ids(otlp_receiver))
    assert set(counts) == first | later | again | {FORGED, ahead}
    assert [log_id for log_id, count in counts.items() if count != 1] == []
