"""A failing state database is named with its cause, never with any part of the DSN's password: in the
errors the backend raises, the pool's own log lines and ``/readyz`` (real connection attempts to a closed
loopback port, and libpq's own parsing of malformed connection strings)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from otel_auth0.config import Config
from otel_auth0.local_ports import free_port
from otel_auth0.runtime import Collector
from otel_auth0.state.postgres_queue import PostgresQueue
from otel_auth0.state.queue import StorageError
from otel_auth0.url_display import dsn_passwords, without_dsn_password

SECRET = "S3cret-Pa55word"


def state(dsn: str) -> dict[str, object]:
    return {"backend": "postgres", "dsn": dsn, "connect_timeout": "1s"}


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        (f"host=h password={SECRET} user=u", [SECRET]),
        (f"host=h user=u password={SECRET}", [SECRET]),
        ("host=h password='it''s' user=u", ["it"]),  # libpq quoting is '...' with \\' inside
        ("host=h password='a \\'b' user=u", ["a \\'b", "a 'b"]),
        (f"host=h password=my {SECRET} dbname=d", [f"my {SECRET}", SECRET, "my"]),  # malformed
        (f"postgresql://u:{SECRET}%40x@h:5432/d", [f"{SECRET}%40x", f"{SECRET}@x"]),
        (f"postgresql://u@h/d?sslmode=require&password={SECRET}", [SECRET]),
        ("host=h user=u", []),
    ],
)
def test_every_form_of_the_password_is_found(dsn: str, expected: list[str]) -> None:
    assert sorted(dsn_passwords(dsn)) == sorted(expected)
    assert all(password not in without_dsn_password(f"error near {dsn}", dsn) for password in expected)


@pytest.mark.parametrize(
    ("dsn", "cause"),
    [
        (f"host=127.0.0.1 port={{port}} user=u password={SECRET} dbname=d", "Connection refused"),
        (f"host=127.0.0.1 port={{port}} password=my {SECRET} dbname=d", 'missing "=" after "***"'),
    ],
    ids=["refused", "malformed"],
)
def test_a_failure_to_connect_names_its_cause_without_the_password(
    dsn: str, cause: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    dsn = dsn.format(port=free_port())  # chosen when the test runs: every xdist worker collects the same ids
    queue = PostgresQueue.from_config(Config.model_validate({"state": state(dsn)}), 1)
    try:
        with pytest.raises(StorageError) as raised:
            queue.set_checkpoint("logs_api.cursor", "x")
        message = str(raised.value)
        print(f"\n{message}")
        assert "last connection attempt" in message and cause in message
        assert queue.storage_error is not None and cause in queue.storage_error
        logged = caplog.text
        assert "psycopg.pool" in logged  # the pool's own lines went through the masked connection too
        assert SECRET not in message + queue.storage_error + logged
    finally:
        queue.close()


def test_readyz_names_the_state_database_not_a_queue_file(tmp_path: Path) -> None:
    dsn = f"host=127.0.0.1 port={free_port()} user=u password={SECRET} dbname=d"
    collector = Collector(Config.model_validate({"state_dir": str(tmp_path), "state": state(dsn)}))
    try:
        reasons = collector.health.reasons()
        print(f"\n/readyz reasons with PostgreSQL down: {reasons}")
        assert any(r.startswith("state database unreachable or failing: cannot ") for r in reasons)
        assert not any("queue file" in r or SECRET in r for r in reasons)
    finally:
        collector.pipeline.queue.close()
        if collector.pipeline.state_lock is not None:
            collector.pipeline.state_lock.release()
