"""Issue 20 findings 3, 4 and 5: ``validate`` runs every check ``run`` makes before it starts anything
(one function, :func:`otel_auth0.commands.preflight.preflight`), and both answer a bad path, an empty
Log Stream token or a bad ``OTEL_EXPORTER_OTLP_*`` variable with the same ``FILE:LINE: key: message``
lines and exit 2, never a traceback. Real ``python -m otel_auth0`` processes."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from otel_auth0.local_ports import free_port
from tests.collector_process import REPO_ROOT

pytestmark = pytest.mark.integration

AUTH0 = {"domain": "tenant.us.auth0.com", "client_id": "id", "client_secret": "secret"}


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_EXPORTER_OTLP")}
    return subprocess.run(
        [sys.executable, "-m", "otel_auth0", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        env={**base, **(env or {})},
    )


def write(path: Path, config: dict[str, Any] | str) -> Path:
    text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
    if isinstance(config, dict) and "telemetry" not in config:
        text += f"telemetry: {{listen: 127.0.0.1:{free_port()}}}\n"
    path.write_text(text, encoding="utf-8")
    return path


def both(path: Path, env: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    """The problem lines of ``validate`` and of ``run`` (both must exit 2 without a traceback)."""
    lines = []
    for command in ("validate", "run"):
        done = cli(command, "--config", str(path), env=env)
        assert done.returncode == 2, (command, done.returncode, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        lines.append([line for line in done.stderr.splitlines() if line.startswith(f"{path}:")])
    return lines[0], lines[1]


def line_of(path: Path, key: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.startswith(f"{key}:"))


def poller(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {"auth0": AUTH0, "state_dir": str(tmp_path / "state"), "receivers": {"logs_api": {}}, **extra}


# --- 20.5: the OTLP environment ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-honeycomb-team", "'x-honeycomb-team' is not a key=value header"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "supported protocols are grpc and http/protobuf"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "api.honeycomb.io:443", "expected an http(s) URL"),
    ],
)
def test_validate_refuses_the_otlp_environment_run_refuses(
    tmp_path: Path, variable: str, value: str, named: str
) -> None:
    path = write(tmp_path / "config.yaml", poller(tmp_path, exporters={"otlp": {}}))
    validate, run = both(path, {variable: value})
    assert validate == run and len(validate) == 1
    assert validate[0].startswith(f"{path}:") and ": exporters.otlp: " in validate[0]
    assert variable in validate[0] or "api.honeycomb.io:443" in validate[0]
    assert named in validate[0]
    assert not (tmp_path / "state").exists(), "run started something before refusing"


# --- 20.3: paths the process writes ----------------------------------------------------------------


def test_state_dir_under_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    path = write(tmp_path / "config.yaml", poller(tmp_path, state_dir=str(tmp_path / "file" / "state")))
    validate, run = both(path)
    assert (
        validate
        == run
        == [
            f"{path}:{line_of(path, 'state_dir')}: state_dir: {tmp_path}/file/state cannot be created: "
            f"{tmp_path}/file is a file, not a directory"
        ]
    )


def test_state_dir_under_proc_and_an_exporter_file_that_cannot_exist(tmp_path: Path) -> None:
    config = poller(tmp_path, state_dir="/proc/otel-auth0", exporters={"file": {"path": "/dev/null/t.jsonl"}})
    path = write(tmp_path / "config.yaml", config)
    validate, run = both(path)
    assert validate == run
    assert [line.split(": ")[1] for line in validate] == ["state_dir", "exporters.file.path"]
    assert "under /proc" in validate[0] and "/dev/null" in validate[1]


def test_an_unwritable_existing_state_file_is_named(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may write any file; the non-root case is the next test")
    state = tmp_path / "state"
    state.mkdir()
    (state / "queue.sqlite3").write_text("", encoding="utf-8")
    (state / "queue.sqlite3").chmod(0o444)
    validate, run = both(write(tmp_path / "config.yaml", poller(tmp_path)))
    assert validate == run and "queue.sqlite3 is not writable" in validate[0]


_AS_USER = """
import contextlib, io, os, pwd, sys
from otel_auth0.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    main(["validate", "--config", sys.argv[2]])  # every module imported while files are still readable
user = pwd.getpwnam(sys.argv[1])
os.setgroups([])
os.setgid(user.pw_gid)
os.setuid(user.pw_uid)
sys.exit(main(sys.argv[3:]))
"""


@pytest.fixture
def readable_dir() -> Iterator[Path]:
    """A directory any user may read (pytest's tmp_path is private to its owner)."""
    with tempfile.TemporaryDirectory() as directory:
        os.chmod(directory, 0o755)
        yield Path(directory)


def test_the_readmes_state_dir_as_a_non_root_user(readable_dir: Path) -> None:
    """README's ``state_dir: /var/lib/otel-auth0`` for a user who may not create it: one line, exit 2."""
    path = write(
        readable_dir / "config.yaml",
        {
            "auth0": AUTH0,
            "state_dir": "/var/lib/otel-auth0",
            "receivers": {"logs_api": {}},
            "exporters": {"otlp": {"endpoint": "http://127.0.0.1:4318"}},
        },
    )
    path.chmod(0o644)
    if os.geteuid() != 0:
        if os.access("/var/lib", os.W_OK):
            pytest.skip("this user may write /var/lib: nothing to refuse")
        runs = [cli(command, "--config", str(path)) for command in ("validate", "run")]
        user = pwd.getpwuid(os.geteuid()).pw_name
    else:
        try:
            user = pwd.getpwnam("nobody").pw_name
        except KeyError:
            pytest.skip("no user `nobody` to drop privileges to")
        runs = [
            subprocess.run(
                [sys.executable, "-c", _AS_USER, user, str(path), command, "--config", str(path)],
                capture_output=True,
                text=True,
                timeout=120,
                cwd=REPO_ROOT,
            )
            for command in ("validate", "run")
        ]
    for done in runs:
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
    lines = [[ln for ln in done.stderr.splitlines() if ln.startswith(f"{path}:")] for done in runs]
    assert lines[0] == lines[1] and len(lines[0]) == 1
    where = f"{path}:{line_of(path, 'state_dir')}: state_dir"
    assert lines[0][0].startswith(f"{where}: /var/lib/otel-auth0 cannot be created: user {user} ")
    assert not Path("/var/lib/otel-auth0").exists() or os.geteuid() != 0


# --- 20.4: an empty Log Stream token --------------------------------------------------------------


@pytest.mark.parametrize("token", ["", "   "])
def test_an_empty_token_is_refused_unless_auth_none(tmp_path: Path, token: str) -> None:
    text = (
        f"state_dir: {tmp_path / 'state'}\n"
        f"telemetry: {{listen: 127.0.0.1:{free_port()}}}\n"
        "receivers:\n"
        "  log_stream:\n"
        f"    listen: 127.0.0.1:{free_port()}\n"
        '    token: "${TOKEN}"\n'
    )
    path = write(tmp_path / "config.yaml", text)
    validate, run = both(path, {"TOKEN": token})
    assert validate == run and len(validate) == 1
    assert validate[0].startswith(f"{path}:4: receivers.log_stream: token: is empty or blank")
    assert "auth: none" in validate[0]
    explicit = write(tmp_path / "open.yaml", text.replace('    token: "${TOKEN}"\n', "    auth: none\n"))
    done = cli("validate", "--config", str(explicit))
    assert done.returncode == 0 and done.stdout.strip() == f"{explicit}: valid", done.stderr
