"""Window state on disk: ``state_dir/detections.sqlite3``, one row per rule and group.

Saved every ``processors.detections.save_interval`` and at shutdown, only the groups that changed,
so a restart (even after ``kill -9``) resumes half-full windows; at most one save interval of
increments is lost. It is a file of its own, not part of the queue's transactions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS groups (
    rule TEXT NOT NULL,
    grp TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (rule, grp)
) WITHOUT ROWID;
"""


class StateStore:
    """The SQLite file; not thread-safe on its own (the processor serialises access)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)

    def load(self) -> list[tuple[str, str, str]]:
        """Every saved row ``(rule, group, state JSON)``."""
        return [
            (str(r), str(g), str(s)) for r, g, s in self._db.execute("SELECT rule, grp, state FROM groups")
        ]

    def save(self, rows: Sequence[tuple[str, str, str]], removed: Sequence[tuple[str, str]]) -> None:
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
