"""One error-to-exit mapping in ``cli.main``: every command's configuration problem is one line on
stderr and exit code 2; ``probe`` without an exporter uses the run pipeline but exports nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from otel_auth0.cli import main
from otel_auth0.commands.common import EXIT_CONFIG_ERROR
from otel_auth0.state.checkpoints import QUEUE_FILE


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--config"],
        ["import", "-", "--config"],
        ["readiness", "--config"],
        ["scan", "--config"],
    ],
)
def test_a_missing_configuration_file_exits_2_with_one_line(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.yaml"
    assert main([*argv, str(missing)]) == EXIT_CONFIG_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"otel-auth0: configuration error in {missing}: ")


def test_run_without_receivers_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"state_dir": str(tmp_path / "state")}), encoding="utf-8")
    assert main(["run", "--config", str(path)]) == EXIT_CONFIG_ERROR
    assert "receivers: no receiver is configured" in capsys.readouterr().err


def test_scan_without_input_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan"]) == EXIT_CONFIG_ERROR
    assert capsys.readouterr().err.startswith("otel-auth0: give --config")


def test_probe_without_exporter_keeps_state_and_writes_no_telemetry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    argv = ["probe", "--domain", "127.0.0.1:9", "--scheme", "http", "--client-id", "c"]
    argv += ["--username", "u", "--password", "p", "--timeout", "5s", "--state-dir", "state", "--json"]
    assert main(argv) == 1  # nothing listens on the discard port: the login fails
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is False and result["exported"] is False
    assert (tmp_path / "state" / QUEUE_FILE).is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["state"]
