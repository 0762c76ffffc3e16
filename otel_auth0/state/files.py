"""The files under ``state_dir``: one process at a time, private modes, and what a damaged file means.

- **Lock**: the process that writes the queue holds an exclusive ``flock`` on ``state_dir/otel-auth0.lock``
  (with its pid in it) for its lifetime; a second one stops with :class:`StateError` naming the
  directory and the holder's pid (exit code :data:`EXIT_STATE_ERROR`).
- **Modes**: ``state_dir`` is 0700 and every file we create in it 0600 (SQLite gives its ``-wal`` and
  ``-shm`` files the mode of the database file).
- **Damage**: a state file SQLite cannot read is a :class:`StateError` naming the file (never a
  traceback, never blamed on the configuration); the detection state may be moved aside
  (:func:`move_aside`), the queue never is. :class:`QueueSequence` notices records that were
  committed to the queue and are gone at the next start (a lost or damaged write-ahead log).
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import sqlite3
import time
from pathlib import Path

log = logging.getLogger(__name__)

# The exit code of a command that stops on a state_dir problem (not 2: that is a configuration error,
# which the systemd unit does not restart).
EXIT_STATE_ERROR = 3
LOCK_FILE = "otel-auth0.lock"
KEY_FILE = "fingerprint.key"
SEQUENCE_SUFFIX = "-seq"
QUEUE_RECOVERY = "docs/operations.md#a-damaged-queue-file"


class StateError(Exception):
    """A problem with a file under ``state_dir``: printed as one line, exit code 3."""


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as 0700; an existing directory we own is narrowed to 0700."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        try:
            path.chmod(0o700)
        except OSError as error:
            log.warning("state_dir %s is mode %o and cannot be made 0700: %s", path, mode, error)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty as 0600 unless it exists; narrow an existing file (and its SQLite ``-wal``
    and ``-shm``) to 0600."""
    private_dir(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for member in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if member.stat().st_mode & 0o077:
                member.chmod(0o600)
        except FileNotFoundError:
            continue
        except OSError as error:
            log.warning("%s cannot be made 0600: %s", member, error)
    return path


def damaged(path: Path, error: BaseException, what: str) -> StateError:
    """A :class:`StateError` for ``path`` that SQLite cannot read."""
    return StateError(f"{what} {path} is damaged or not an otel-auth0 state file ({error})")


class StateDirLock:
    """The exclusive lock of one ``state_dir``; re-entrant within this process."""

    _held: dict[Path, tuple[int, int]] = {}  # directory -> (file descriptor, holders)

    def __init__(self, state_dir: Path | str) -> None:
        self.directory = Path(state_dir).resolve()

    def acquire(self) -> None:
        """Take the lock or raise :class:`StateError` naming the directory and the holding pid."""
        held = self._held.get(self.directory)
        if held is not None:
            self._held[self.directory] = (held[0], held[1] + 1)
            return
        try:
            fd = os.open(private_file(private_dir(self.directory) / LOCK_FILE), os.O_RDWR)
        except OSError as error:
            raise StateError(f"state_dir {self.directory} cannot be used: {error}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StateError(
                f"state_dir {self.directory} is in use by another otel-auth0 process (pid {holder}); "
                "stop it or give this one its own state_dir"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._held[self.directory] = (fd, 1)

    def release(self) -> None:
        """Give the lock up once every holder in this process released it."""
        held = self._held.get(self.directory)
        if held is None:
            return
        fd, holders = held
        if holders > 1:
            self._held[self.directory] = (fd, holders - 1)
            return
        del self._held[self.directory]
        os.close(fd)  # closing the descriptor releases the flock


def move_aside(path: Path) -> Path:
    """Rename ``path`` and its SQLite companions to ``<name>.corrupt-<UTC timestamp>``; the new name."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        member = path.with_name(path.name + suffix)
        if member.exists():
            member.rename(target.with_name(target.name + suffix))
    return target


class QueueSequence:
    """The highest item id committed to the queue, kept beside it in ``<queue file>-seq`` (outside
    SQLite, written after each commit): at the next start, a queue whose own sequence is lower lost
    committed records (its write-ahead log was lost or damaged), and :meth:`check` says so."""

    def __init__(self, queue_file: Path, existed: bool) -> None:
        self.path = queue_file.with_name(queue_file.name + SEQUENCE_SUFFIX)
        self._queue_file = queue_file
        if not existed and self.path.exists():
            self.path.unlink()  # a new queue file (the old one moved aside): a new sequence
        self._fd = os.open(private_file(self.path), os.O_RDWR)
        self.lost = 0

    def recorded(self) -> int:
        """The highest id written so far (0 when none)."""
        text = os.pread(self._fd, 32, 0).decode(errors="replace").strip()
        return int(text) if text.isdigit() else 0

    def check(self, db: sqlite3.Connection) -> int:
        """Compare with the queue's own sequence; log and return how many item ids are gone."""
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'items'").fetchone()
        current = int(row[0]) if row else 0
        recorded = self.recorded()
        self.lost = max(0, recorded - current)
        if self.lost:
            log.error(
                "queue %s lost committed records: batches %d to %d were stored but are gone (its "
                "write-ahead log %s-wal was lost or damaged, e.g. by a crash on a failing disk); they "
                "cannot be delivered; see %s",
                self._queue_file,
                current + 1,
                recorded,
                self._queue_file,
                QUEUE_RECOVERY,
            )
        self.advance(current)
        return self.lost

    def advance(self, last_id: int) -> None:
        """Record ``last_id`` as committed."""
        data = f"{last_id}\n".encode()
        os.pwrite(self._fd, data.ljust(21), 0)

    def close(self) -> None:
        """Close the file."""
        os.close(self._fd)


def fingerprint_key(state_dir: Path | str) -> bytes:
    """The secret key of ``state_dir`` for fingerprints of credentials (``fingerprint.key``, 0600),
    created with 32 random bytes on first use."""
    path = private_dir(Path(state_dir)) / KEY_FILE
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        try:
            key = bytes.fromhex(path.read_text(encoding="ascii").strip())
        except (ValueError, OSError):
            key = b""
        if len(key) >= 16:
            return key
        raise StateError(
            f"{path} is damaged (not a key); remove it to start a new one (the probe's count of refused "
            "logins then starts again at 0)"
        ) from None
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(key.hex() + "\n")
    return key
