"""Issue 25, finding 7: one future-dated event (an ``fp`` dated 2500-01-01, a changelog item dated a
day ahead) must not turn off threshold detections live, nor advance the state saved on disk; a replay
(``otel-auth0 detect``) still runs on the events' own dates."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from opentelemetry.sdk.metrics import MeterProvider

from otel_auth0.collector_config import parse_config
from otel_auth0.detections.engine import DetectionEngine, Observed, run
from otel_auth0.detections.loader import default_rules
from otel_auth0.detections.processor import DetectionProcessor, build_processor
from otel_auth0.instruments import Instruments
from tests.unit.detections.builders import iso

YEAR_2500 = "2500-01-01T00:00:00.000Z"


def _processor(tmp_path: Path) -> DetectionProcessor:
    config = parse_config({"state_dir": str(tmp_path / "state")})
    processor = build_processor(config, Instruments(MeterProvider().get_meter("test")))
    assert processor is not None
    return processor


def _stuffing(start: float, ip: str) -> list[Observed]:
    """Ten failed logins for ten user names from one IP, one second apart, from ``start``."""
    return [
        Observed(
            {"type": "fu", "date": iso(start + i), "log_id": f"{ip}-{i}", "ip": ip, "user_name": f"u{i}"}
        )
        for i in range(10)
    ]


def _future_events(now: float) -> list[Observed]:
    future_fp = {"type": "fp", "date": YEAR_2500, "log_id": "future", "ip": "198.51.100.7", "user_name": "x"}
    changelog = {
        "type": "changelog",
        "guid": "tomorrow",
        "title": "Scheduled post",
        "summary": "",
        "link": "",
        "date": iso(now + 86400),
    }
    return [Observed(future_fp), Observed(changelog, source="notices")]


@pytest.mark.parametrize("future", [0, 1], ids=["fp-dated-2500", "changelog-a-day-ahead"])
def test_credential_stuffing_still_fires_after_a_future_dated_event(tmp_path: Path, future: int) -> None:
    processor = _processor(tmp_path)
    now = time.time()
    processor.observe([_future_events(now)[future]])
    processor.tick()  # the housekeeping that forgot every live window once the watermark was in 2500
    processor.observe(_stuffing(now - 60, "203.0.113.50")[:5])
    processor.tick()
    fired = processor.observe(_stuffing(now - 60, "203.0.113.50")[5:])
    assert len(fired) == 1  # credential_stuffing for 203.0.113.50
    assert processor.engine.watermark <= time.time() + 5
    processor.close()


def test_the_saved_state_is_not_advanced_by_a_future_event(tmp_path: Path) -> None:
    processor = _processor(tmp_path)
    now = time.time()
    processor.observe([_future_events(now)[0], *_stuffing(now - 60, "203.0.113.51")[:5]])
    processor.close()
    resumed = _processor(tmp_path)  # a restart resumes the half-full window, not a year-2500 clock
    assert resumed.engine.watermark <= time.time() + 5
    assert len(resumed.observe(_stuffing(now - 60, "203.0.113.51")[5:])) == 1
    resumed.close()


def test_state_saved_ahead_of_the_clock_is_dropped_on_restore() -> None:
    """A state file written by a version that let a future event through is not resumed."""
    replay = DetectionEngine(default_rules())
    run(
        replay,
        [Observed({"type": "fp", "date": YEAR_2500, "log_id": "f", "ip": "1.2.3.4", "user_name": "x"})],
        0,
    )
    rows, _ = replay.changes()
    live = DetectionEngine(default_rules(), max_ahead=5.0)
    assert rows and live.restore(rows, time.time()) == 0
    assert live.watermark == 0.0


def test_a_replay_still_runs_on_event_time() -> None:
    """``otel-auth0 detect`` over an archive: the events' dates decide, whatever the wall clock says."""
    engine = DetectionEngine(default_rules())
    fired = run(engine, _stuffing(4_102_444_800.0, "203.0.113.52"), now=0.0)  # dated 2100, replayed "now"
    assert [d.rule.id for d in fired] == ["credential_stuffing"]
    assert fired[0].time == 4_102_444_809.0
