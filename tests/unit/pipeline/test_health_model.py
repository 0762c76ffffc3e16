"""The readiness model: which facts make ``/readyz`` answer 503, and with which reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from otel_auth0.config import HealthConfig
from otel_auth0.health import ExporterState, HealthModel, QueueState, ReceiverState, receiver_stale_after

START = 1_000_000.0


@dataclass
class Facts:
    exporter_states: list[ExporterState] = field(default_factory=list)
    receiver_states: list[ReceiverState] = field(default_factory=list)
    queue_state: QueueState = field(default_factory=lambda: QueueState(0, 100))

    def exporters(self) -> list[ExporterState]:
        return self.exporter_states

    def receivers(self) -> list[ReceiverState]:
        return self.receiver_states

    def queue(self) -> QueueState:
        return self.queue_state


CONFIG = HealthConfig(exporter_failing_for=60, queue_high_water=0.8, receiver_stale_after=300)


def test_ready_when_nothing_is_wrong() -> None:
    facts = Facts([ExporterState("otlp", None)], [ReceiverState("logs_api", START + 10, 300)])
    assert HealthModel(CONFIG, facts, START).reasons(START + 20) == []


def test_exporter_failing_longer_than_the_threshold() -> None:
    facts = Facts([ExporterState("otlp", START), ExporterState("file", None)])
    model = HealthModel(CONFIG, facts, START)
    assert model.reasons(START + 59) == []
    assert model.reasons(START + 61) == ["exporter otlp has been failing for 61s (threshold 60s)"]


def test_queue_above_high_water_mark() -> None:
    model = HealthModel(CONFIG, Facts(queue_state=QueueState(79, 100)), START)
    assert model.reasons(START) == []
    model = HealthModel(CONFIG, Facts(queue_state=QueueState(80, 100)), START)
    assert model.reasons(START) == ["queue holds 80 of 100 records, above the high-water mark (80%)"]


def test_receiver_without_recent_success_counts_from_start_and_from_its_last_success() -> None:
    never = ReceiverState("status", None, 300)
    old = ReceiverState("logs_api", START + 100, 300)
    unchecked = ReceiverState("log_stream", None, None)
    model = HealthModel(CONFIG, Facts(receiver_states=[never, old, unchecked]), START)
    assert model.reasons(START + 299) == []
    assert model.reasons(START + 400) == [
        "receiver status has had no success for 400s (threshold 300s)",
        "receiver logs_api has had no success for 300s (threshold 300s)",
    ]


def test_stopping_is_not_ready() -> None:
    model = HealthModel(CONFIG, Facts(), START)
    model.stopping = True
    assert model.reasons(START) == ["shutting down: draining the queue"]


def test_stale_threshold_is_at_least_three_intervals() -> None:
    assert receiver_stale_after(CONFIG, None) is None
    assert receiver_stale_after(CONFIG, 10) == 300
    assert receiver_stale_after(CONFIG, 3600) == 3 * 3600


def test_a_crashed_receiver_waiting_for_its_restart_is_not_ready() -> None:
    crashed = ReceiverState("log_stream", None, None, crashed=True, restarts=2, last_error="OSError: boom")
    recovered = ReceiverState("status", START, 300, crashed=False, restarts=3, last_error="KeyError: 'x'")
    model = HealthModel(CONFIG, Facts(receiver_states=[crashed, recovered]), START)
    assert model.reasons(START + 1) == [
        "receiver log_stream failed (OSError: boom) and is waiting to be restarted (restarted 2 times so far)"
    ]


def test_queue_fill_is_the_fuller_of_records_and_bytes() -> None:
    by_bytes = QueueState(10, 100, None, stored_bytes=850, capacity_bytes=1000)
    model = HealthModel(CONFIG, Facts(queue_state=by_bytes), START)
    assert model.reasons(START) == [
        "queue holds 10 of 100 records, 850 of 1000 bytes, above the high-water mark (80%)"
    ]
    below = QueueState(10, 100, None, stored_bytes=790, capacity_bytes=1000)
    assert HealthModel(CONFIG, Facts(queue_state=below), START).reasons(START) == []


def test_an_announced_wait_longer_than_the_threshold_is_a_reason() -> None:
    waiting = ExporterState("otlp", START, announced_wait=(START + 300, 300.0))
    model = HealthModel(CONFIG, Facts([waiting]), START)
    assert model.reasons(START + 10) == [
        "exporter otlp waits 300s before its next attempt as the backend asked "
        "(290s left; longer than exporter_failing_for 60s)"
    ]
    short = ExporterState("otlp", START, announced_wait=(START + 30, 30.0))
    assert HealthModel(CONFIG, Facts([short]), START).reasons(START + 10) == []
