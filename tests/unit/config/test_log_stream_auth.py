"""Issue 20.4: the Log Stream listener is authenticated unless the file says ``auth: none``; a missing,
empty or blank token is a configuration error naming the key, never an open webhook."""

from __future__ import annotations

from typing import Any

import pytest

from otel_auth0.collector_config import parse_config
from otel_auth0.config import ConfigError
from otel_auth0.receivers.log_stream import token_matches
from otel_auth0.receivers.log_stream_config import LogStreamConfig


def stream(**section: Any) -> LogStreamConfig | None:
    config = parse_config({"receivers": {"log_stream": {"listen": "127.0.0.1:0", **section}}})
    return config.receivers.section(LogStreamConfig)


@pytest.mark.parametrize("section", [{}, {"token": ""}, {"token": "  \t"}])
def test_no_usable_token_is_refused(section: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as raised:
        stream(**section)
    [problem] = raised.value.problems
    assert problem.key == "receivers.log_stream"
    assert problem.message.startswith("token: ") and "auth: none" in problem.message


def test_auth_none_says_it_explicitly() -> None:
    section = stream(auth="none")
    assert section is not None and section.auth == "none" and section.token is None
    with pytest.raises(ConfigError, match="auth: none contradicts token"):
        stream(auth="none", token="t")


def test_a_blank_token_matches_nothing() -> None:
    assert not token_matches("", "")
    assert not token_matches("Bearer ", " ")
    assert token_matches("Bearer t0k", "t0k") and token_matches("t0k", "t0k")
