"""The checks ``run`` makes before it starts anything, beyond the configuration's own validation: one
function that ``validate`` and ``run`` both call, so ``validate`` never passes what ``run`` refuses.

- a receiver is configured (a file for the readiness gates alone needs none: ``readiness`` reads it);
- the OTLP exporter's settings resolve, ``OTEL_EXPORTER_OTLP_*`` included (headers ``k=v``, a supported
  protocol, an endpoint ``run`` can use, readable TLS files), by building the exporter as ``run`` does;
- every path the process will write (``state_dir`` and the files in it, ``exporters.file.path``) can be
  written by the current user: not under a regular file, not under ``/proc`` or ``/sys``, its directory
  creatable, an existing file writable.

Listening sockets are the one thing left to ``run``: binding them here would fail next to the running
service, which holds them.
"""

from __future__ import annotations

import errno
import os
import pwd
from pathlib import Path

from otel_auth0.config import Config, Problem
from otel_auth0.exporters.otlp import OtlpExporter
from otel_auth0.state.checkpoints import QUEUE_FILE

# Pseudo-filesystems that hold no state: writing there fails, or does something else entirely.
PSEUDO_FILESYSTEMS = (Path("/proc"), Path("/sys"))
# Files the collector keeps in ``state_dir`` (the queue with its WAL, detection state).
STATE_FILES = (QUEUE_FILE, f"{QUEUE_FILE}-wal", f"{QUEUE_FILE}-shm", "detections.sqlite3")


def preflight(config: Config) -> list[Problem]:
    """Everything ``run`` would refuse at start that validation of the file does not see."""
    if config.tenants:
        empty = [
            Problem(f"tenants[{index}].receivers", "no receiver is configured (`run` would refuse to start)")
            for index, tenant in enumerate(config.tenants)
            if not tenant.receivers
        ]
        return empty or [*exporter_problems(config), *path_problems(config)]
    if not config.receivers:
        # A file for the readiness gates alone: `run` is not what reads it, so nothing to write.
        if config.readiness is not None:
            return []
        return [Problem("receivers", "no receiver is configured (`run` would refuse to start)")]
    problems: list[Problem] = []
    problems.extend(exporter_problems(config))
    problems.extend(path_problems(config))
    return problems


def exporter_problems(config: Config) -> list[Problem]:
    """The OTLP exporter built as ``run`` builds it, environment variables included."""
    if config.exporters.otlp is None:
        return []
    try:
        OtlpExporter(config.exporters.otlp).shutdown()
    except ValueError as error:
        return [Problem("exporters.otlp", str(error))]
    return []


def path_problems(config: Config) -> list[Problem]:
    """Each path the process writes, checked for the current user."""
    problems = []
    state = directory_problem(config.state_dir)
    if state is None:
        state = next(
            (found for name in STATE_FILES if (found := file_problem(config.state_dir / name, False))),
            None,
        )
    if state is not None:
        problems.append(Problem("state_dir", state))
    if config.exporters.file is not None:
        file = file_problem(config.exporters.file.path)
        if file is not None:
            problems.append(Problem("exporters.file.path", file))
    return problems


def _user() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"


def _pseudo(path: Path) -> Path | None:
    resolved = path.resolve(strict=False)
    for root in PSEUDO_FILESYSTEMS:
        if resolved == root or root in resolved.parents:
            return root
    return None


def _existing_ancestor(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (as anything)."""
    current = path
    while not os.path.lexists(current) and current != current.parent:
        current = current.parent
    return current


def directory_problem(path: Path) -> str | None:
    """Why the directory ``path`` cannot be created or written by this user, or ``None``."""
    path = path.absolute()
    root = _pseudo(path)
    if root is not None:
        return f"{path} is under {root}, which holds no files of ours; choose a directory on a real disk"
    existing = _existing_ancestor(path)
    if existing == path:
        if not path.is_dir():
            return f"{path} exists and is not a directory"
        if not os.access(path, os.W_OK | os.X_OK):
            return f"{path} is not writable by user {_user()}: {os.strerror(_denied(path))}"
        return None
    if not existing.is_dir():
        return f"{path} cannot be created: {existing} is a file, not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        return (
            f"{path} cannot be created: user {_user()} may not write in {existing} "
            f"({os.strerror(_denied(existing))}); create it for this user or choose another directory"
        )
    return None


def file_problem(path: Path, create: bool = True) -> str | None:
    """Why the file ``path`` cannot be written (or, with ``create``, created) by this user, or ``None``."""
    path = path.absolute()
    if os.path.lexists(path):
        if path.is_dir():
            return f"{path} is a directory, not a file"
        if _pseudo(path) is not None or not os.access(path, os.W_OK):
            return f"{path} is not writable by user {_user()}"
        return None
    if not create:
        return None
    problem = directory_problem(path.parent)
    return f"{path}: {problem}" if problem is not None else None


def _denied(path: Path) -> int:
    """EROFS on a read-only file system, else EACCES."""
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return errno.EROFS
    except OSError:
        pass
    return errno.EACCES
