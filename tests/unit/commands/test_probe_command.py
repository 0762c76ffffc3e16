"""``otel-auth0 probe`` option handling: flags, --config, environment, exit code 2 on bad input."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from otel_auth0.cli import build_parser, main
from otel_auth0.commands.common import CommandError
from otel_auth0.commands.probe import build_config
from otel_auth0.receivers.login_probe import LoginProbeConfig
from otel_auth0.receivers.logs_api_config import LogsApiConfig

FLAGS = ["--domain", "t.example.com", "--client-id", "c", "--username", "u", "--password", "p"]


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["probe", *argv])


def test_flags_alone_make_a_configuration_without_export(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    config, export = build_config(parse(*FLAGS, "--realm", "db", "--userinfo"))
    assert not export
    assert config.auth0 is not None and config.auth0.domain == "t.example.com"
    probe = config.receivers.section(LoginProbeConfig)
    assert (
        probe is not None and probe.realm == "db" and probe.userinfo and probe.scope == "openid profile email"
    )


def test_flags_override_the_file_and_the_endpoint_switches_export_on(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "auth0": {"domain": "file.example.com", "client_id": "m", "client_secret": "s"},
                "receivers": {
                    "logs_api": {},
                    "login_probe": {"client_id": "c", "username": "u", "password": "p", "interval": "5m"},
                },
                "state_dir": str(tmp_path / "state"),
            }
        )
    )
    config, export = build_config(
        parse("--config", str(path), "--password", "other", "--otlp-endpoint", "http://x:4318")
    )
    assert export and config.exporters.otlp is not None and config.exporters.otlp.endpoint == "http://x:4318"
    assert config.auth0 is not None and config.auth0.domain == "file.example.com"
    probe = config.receivers.section(LoginProbeConfig)
    assert probe is not None and probe.password == "other" and probe.interval == 300
    assert config.receivers.section(LogsApiConfig) is None  # only the probe runs
    assert config.state_dir == tmp_path / "state"


def test_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH0_PROBE_PASSWORD", "from-env")
    config, _ = build_config(parse("--domain", "t.example.com", "--client-id", "c", "--username", "u"))
    probe = config.receivers.section(LoginProbeConfig)
    assert probe is not None and probe.password == "from-env"


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--client-id", "c", "--username", "u", "--password", "p"], "--domain"),
        (["--domain", "t.example.com", "--username", "u", "--password", "p"], "client_id"),
        ([*FLAGS, "--ca-file", "/nonexistent/ca.pem"], "ca_file"),
        ([*FLAGS[:1], "https://t.example.com", *FLAGS[2:]], "auth0.domain"),
    ],
)
def test_configuration_errors_exit_2(
    argv: list[str], fragment: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AUTH0_PROBE_PASSWORD", raising=False)
    with pytest.raises(CommandError) as raised:
        build_config(parse(*argv))
    assert raised.value.exit_code == 2 and fragment in str(raised.value)
    assert main(["probe", *argv]) == 2
    assert fragment in capsys.readouterr().err
