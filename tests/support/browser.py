"""Headless Chromium for browser tests, driven by Selenium with Debian's ``chromium`` and
``chromium-driver`` (``.ci/run`` installs them; nothing is downloaded). Without them a test skips with
the reason, except in CI (``CI`` set to true), where a missing browser fails the test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

T = TypeVar("T")
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver", "/usr/lib/chromium/chromedriver")


def in_ci() -> bool:
    """``CI`` is set to a true value (GitHub Actions, GitLab and most CI systems set ``CI=true``)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Skip with ``reason``; fail in CI, where the browser must be installed."""
    if in_ci():
        pytest.fail(
            f"browser test cannot run in CI: {reason} (.ci/run installs chromium and chromium-driver)"
        )
    pytest.skip(reason)


def _find(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name) or (name if Path(name).is_file() else None)
        if found:
            return found
    return None


@contextmanager
def chromium(width: int = 1400, height: int = 1000) -> Iterator[WebDriver]:
    """A headless Chromium session (skips, or fails in CI, when Selenium or the browser is missing)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed (pip install -e '.[dev]')")
    browser, driver = _find(BROWSERS), _find(DRIVERS)
    if browser is None or driver is None:
        unavailable("no chromium and chromedriver on PATH (apt-get install chromium chromium-driver)")
    assert browser is not None and driver is not None
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    session = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield session
    finally:
        session.quit()


def wait_for(condition: Callable[[], T | None], what: str, timeout: float = 60.0, poll: float = 0.2) -> T:
    """``condition()``'s first truthy value, polled until ``timeout`` (generous: not a timing assertion)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g}s: {what}")
        time.sleep(poll)
