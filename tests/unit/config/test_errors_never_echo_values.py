"""Configuration errors name the key or the line, never the value: it may be a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from otel_auth0.collector_config import load_config
from otel_auth0.config import ConfigError

SECRET = "hunter2-Zq8#xW"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (f'auth0:\n  client_secret: "{SECRET}\n  domain: x\n', "line"),
        (f"auth0:\n  client_secret: a: {SECRET}\n", "line 2"),
        (f"auth0:\n\tclient_secret: {SECRET}\n", "line 2"),
        (f"auth0: [{SECRET}\n", "line"),
        (f"queue:\n  max_age: {SECRET}\n", "queue.max_age"),
    ],
)
def test_errors_never_echo_a_value(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert where in message
    assert SECRET not in message and "hunter2" not in message
