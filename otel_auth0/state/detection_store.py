"""Where detection window state is kept (:class:`DetectionStore`), one row per rule and group: with
SQLite, ``state_dir/detections.sqlite3`` (:class:`StateStore`, below); on PostgreSQL, a table of the
state database (:mod:`otel_auth0.state.postgres_detections`) that a fleet shares.

The SQLite file is saved every ``processors.detections.save_interval`` and at shutdown, only the
groups that changed, so a restart (even after ``kill -9``) resumes half-full windows; at most one save
interval of increments is lost. It is a file of its own, not part of the queue's transactions.

Damage costs only window state, never events: a file SQLite cannot read is moved aside
(``detections.sqlite3.corrupt-<timestamp>``) and started fresh, a row that is not valid state is
skipped; both are logged at ERROR naming the file and counted in ``otel_auth0.state.damaged``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from otel_auth0.state.files import move_aside, private_file

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS groups (
    rule TEXT NOT NULL,
    grp TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (rule, grp)
) WITHOUT ROWID;
"""


Row = tuple[str, str, str]  # (rule id, group as a JSON array, state as a JSON object)


class DetectionStore(Protocol):
    """Window state rows; a write that cannot reach the store raises and changes nothing."""

    skipped_rows: int

    def load(self) -> list[Row]:
        """Every saved row that is valid; others are skipped, logged and counted in ``skipped_rows``."""

    def save(self, rows: Sequence[Row], removed: Sequence[tuple[str, str]]) -> None:
        """Write changed rows and delete removed groups in one transaction."""

    def close(self) -> None:
        """Release the store."""


def valid_rows(rows: Iterable[tuple[object, object, object]], where: object) -> tuple[list[Row], int]:
    """The rows the engine can restore, and how many were not (logged at ERROR naming ``where``)."""
    kept, bad = [], []
    for rule, group, state in rows:
        if _valid(rule, group, state):
            kept.append((str(rule), str(group), str(state)))
        else:
            bad.append(f"{rule!r}/{str(group)[:80]!r}")
    if bad:
        log.error(
            "detection state %s: %d damaged rows skipped (their windows start empty): %s",
            where,
            len(bad),
            ", ".join(bad[:5]),
        )
    return kept, len(bad)


class StateStore:
    """The SQLite file; not thread-safe on its own (the processor serialises access)."""

    def __init__(self, path: Path) -> None:
        self.path = private_file(path)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)
        self.skipped_rows = 0

    @classmethod
    def open_or_reset(cls, path: Path) -> tuple[StateStore, Path | None]:
        """Open the file; one SQLite cannot read is moved aside first and a fresh one started. Returns
        the store and where the damaged file went (None when it was sound)."""
        try:
            store = cls(path)
            problem = store._db.execute("PRAGMA quick_check").fetchone()[0]
            if problem == "ok":
                store._db.execute("SELECT rule, grp, state FROM groups LIMIT 1").fetchall()  # our layout?
                return store, None
            store.close()
            error: object = problem
        except sqlite3.DatabaseError as raised:
            error = raised
        moved = move_aside(path)
        log.error(
            "detection state %s is damaged (%s): moved aside to %s and started fresh; half-full "
            "detection windows start empty (no event is lost)",
            path,
            error,
            moved,
        )
        return cls(path), moved

    def load(self) -> list[Row]:
        """Every saved row ``(rule, group, state JSON)`` that is valid; others are skipped, logged and
        counted in :attr:`skipped_rows`."""
        rows, bad = valid_rows(self._db.execute("SELECT rule, grp, state FROM groups"), self.path)
        self.skipped_rows += bad
        return rows

    def save(self, rows: Sequence[Row], removed: Sequence[tuple[str, str]]) -> None:
        """Write changed rows and delete removed groups in one transaction."""
        if not rows and not removed:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("DELETE FROM groups WHERE rule = ? AND grp = ?", removed)
            self._db.executemany(
                "INSERT INTO groups (rule, grp, state) VALUES (?, ?, ?)"
                " ON CONFLICT(rule, grp) DO UPDATE SET state = excluded.state",
                rows,
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the file."""
        self._db.close()


def _valid(rule: object, group: object, state: object) -> bool:
    """A row the engine can restore: a rule id, a JSON array group and a JSON object state."""
    if not isinstance(rule, str) or not isinstance(group, str) or not isinstance(state, str):
        return False
    try:
        values, saved = json.loads(group), json.loads(state)
    except ValueError:
        return False
    scalar = (str, int, float, bool, type(None))
    return isinstance(values, list) and all(isinstance(v, scalar) for v in values) and isinstance(saved, dict)
