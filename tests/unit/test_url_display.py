"""Endpoints are shown without the credentials they may carry (issue 25.13)."""

from __future__ import annotations

import pytest

from otel_auth0.url_display import display_url, origin, redirect_origin


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:PW@host:4318/v1/logs", "http://***@host:4318/v1/logs"),
        ("https://PW@collector.example/v1/logs?api-key=PW#x", "https://***@collector.example/v1/logs"),
        ("http://[::1]:4318/v1/logs", "http://[::1]:4318/v1/logs"),
        ("user:PW@host:4317", "***@host:4317"),
        ("host:4317", "host:4317"),
        ("http://host:99999999/", "(unreadable URL)"),
    ],
)
def test_display_url_hides_credentials(url: str, shown: str) -> None:
    assert display_url(url) == shown
    assert "PW" not in display_url(url)


def test_origins_of_redirects() -> None:
    assert origin("https://u:PW@other.example:8443/x") == "https://other.example:8443"
    assert redirect_origin("http://a:1/v1/logs", "http://u:PW@b:2/v1/logs") == "http://b:2"
    assert redirect_origin("http://a:1/v1/logs", "/elsewhere") == "http://a:1"
    assert redirect_origin("http://a:1/v1/logs", "") == "(no Location header)"
