"""deploy/systemd/otel-auth0@.service: a template unit that runs `otel-auth0 run` for one tenant."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from otel_auth0.cli import build_parser
from otel_auth0.config.collector import TelemetryConfig
from otel_auth0.http_listen import RESERVED_FILES
from otel_auth0.receivers.log_stream_config import LogStreamConfig

UNIT = Path(__file__).resolve().parents[3] / "deploy" / "systemd" / "otel-auth0@.service"


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def test_template_runs_the_instance_configuration() -> None:
    service = _unit()["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0].endswith("/otel-auth0") and argv[1:] == ["run", "--config", "/etc/otel-auth0/%i.yaml"]
    build_parser().parse_args(argv[1:])  # a valid command line
    pre = shlex.split(service["ExecStartPre"])
    assert pre[1:] == ["validate", "--config", "/etc/otel-auth0/%i.yaml"]
    build_parser().parse_args(pre[1:])
    assert service["EnvironmentFile"] == "/etc/otel-auth0/%i.env"


def test_state_survives_and_a_config_error_is_not_restarted() -> None:
    unit = _unit()
    service = unit["Service"]
    assert service["StateDirectory"] == "otel-auth0/%i"
    assert service["WorkingDirectory"] == "/var/lib/otel-auth0/%i"
    assert service["Restart"] == "on-failure" and service["RestartPreventExitStatus"] == "2"
    assert service["KillSignal"] == "SIGTERM" and int(service["TimeoutStopSec"]) > 10
    assert service["DynamicUser"] == "yes"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_open_file_limit_fits_the_listeners_with_room_to_raise_them() -> None:
    limit = int(_unit()["Service"]["LimitNOFILE"])
    stream = LogStreamConfig.model_fields["max_connections"].default
    defaults = stream + TelemetryConfig().max_connections + RESERVED_FILES
    assert limit >= 4 * defaults


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify_finds_nothing_but_the_absent_install(tmp_path: Path) -> None:
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text(encoding="utf-8"), encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    # The binary lives in /opt/otel-auth0 only once installed; anything else is a real problem.
    assert all("/opt/otel-auth0/bin/otel-auth0 is not executable" in line for line in complaints), complaints
