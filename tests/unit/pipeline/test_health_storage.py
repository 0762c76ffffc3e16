"""``/readyz`` says when the queue file cannot be written (a full disk), or the state database cannot be
used, and stops saying it after."""

from __future__ import annotations

from otel_auth0.config import HealthConfig
from otel_auth0.health import HealthModel, QueueState
from tests.unit.pipeline.test_health_model import START, Facts


def test_a_storage_error_is_a_readiness_reason_until_writes_succeed() -> None:
    facts = Facts(queue_state=QueueState(5, 100, "cannot store a batch: database or disk is full"))
    model = HealthModel(HealthConfig(), facts, START)
    assert model.reasons(START) == [
        "queue file cannot be written: cannot store a batch: database or disk is full"
    ]
    facts.queue_state = QueueState(5, 100)
    assert model.reasons(START) == []


def test_a_state_database_error_names_the_database_not_a_file() -> None:
    error = "cannot store a batch: PostgreSQL: couldn't get a connection after 2.00 sec"
    facts = Facts(queue_state=QueueState(5, 100, error, database=True))
    model = HealthModel(HealthConfig(), facts, START)
    assert model.reasons(START) == [f"state database unreachable or failing: {error}"]
