"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.otlp_receiver import OtlpReceiver


@pytest.fixture
def otlp_receiver() -> Iterator[OtlpReceiver]:
    """A running test OTLP receiver (gRPC + HTTP on free 127.0.0.1 ports)."""
    with OtlpReceiver() as receiver:
        yield receiver
