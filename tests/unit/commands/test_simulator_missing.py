"""Without the simulator package, ``simulate`` and ``demo`` say which extra to install."""

from __future__ import annotations

import sys

import pytest

from otel_auth0 import cli


@pytest.mark.parametrize("argv", [["simulate", "--profile", "large"], ["demo", "--duration", "1"]])
def test_commands_name_the_simulator_extra(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A None entry makes every import of the module raise ImportError, as when it is not installed.
    for name in [m for m in sys.modules if m.startswith("otel_auth0_sim")] + ["otel_auth0_sim"]:
        monkeypatch.setitem(sys.modules, name, None)
    assert cli.main(argv) == 2
    assert "pip install 'otel-auth0[simulator]'" in capsys.readouterr().err
