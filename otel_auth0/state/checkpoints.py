"""Receivers' persisted positions: kept in the queue database (written by
:class:`~otel_auth0.state.queue.PersistentQueue` in the same transaction as the batch they cover),
and read here read-only for tools such as the readiness checks."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

QUEUE_FILE = "queue.sqlite3"
SELECT_CHECKPOINT = "SELECT value, updated_at FROM checkpoints WHERE name = ?"


def queue_path(state_dir: Path | str) -> Path:
    """The queue database under ``state_dir``."""
    return Path(state_dir) / QUEUE_FILE


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A receiver's persisted position."""

    value: str
    updated_at: float


class CheckpointStore(Protocol):
    """Where receivers keep positions outside an enqueue."""

    def get_checkpoint(self, name: str) -> Checkpoint | None:
        """The stored position, or ``None``."""

    def set_checkpoint(self, name: str, value: str) -> None:
        """Store a position."""


def read_checkpoints(state_dir: Path | str, names: Iterable[str]) -> dict[str, Checkpoint]:
    """The named checkpoints of the queue under ``state_dir``, opened read-only (never created); empty
    when there is no queue or it cannot be read."""
    path = queue_path(state_dir)
    if not path.is_file():
        return {}
    found: dict[str, Checkpoint] = {}
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            for name in names:
                row = db.execute(SELECT_CHECKPOINT, (name,)).fetchone()
                if row is not None:
                    found[name] = Checkpoint(str(row[0]), float(row[1]))
    except sqlite3.Error:
        return {}
    return found
