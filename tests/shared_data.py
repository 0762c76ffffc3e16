"""Locate the read-only reference data in ``../shared`` (relative to the repository root).

Tests that need it call ``require_shared_data("data", ...)`` or use the ``shared_data`` fixture;
both skip the test with a clear reason when the directory is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DIR = (Path(__file__).resolve().parents[1] / ".." / "shared").resolve()


def shared_data_dir() -> Path | None:
    """The shared reference directory, or None when this checkout has none next to it."""
    return SHARED_DIR if SHARED_DIR.is_dir() else None


def require_shared_data(*parts: str) -> Path:
    """``../shared/<parts...>``, skipping the calling test when it does not exist."""
    root = shared_data_dir()
    if root is None:
        pytest.skip(f"shared reference data not found at {SHARED_DIR}")
    path = root.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared reference data {path} not found")
    return path


@pytest.fixture
def shared_data() -> Path:
    """The shared reference directory; skips the test when absent."""
    return require_shared_data()
