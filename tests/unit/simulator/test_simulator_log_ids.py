"""Simulator log ids: Auth0's 56-digit layout, time-ordered, strictly increasing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from otel_auth0_sim.log_ids import LogIdGenerator, is_log_id, log_id_time

WHEN = datetime(2026, 3, 8, 3, 53, 28, 500000, tzinfo=UTC)


def test_layout_is_prefix_time_and_39_digits() -> None:
    log_id = LogIdGenerator(random.Random(1)).next_id(WHEN)
    assert len(log_id) == 56 and log_id.isdigit()
    assert log_id.startswith("900" + "20260308035328")
    assert log_id_time(log_id) == WHEN.replace(microsecond=0)


def test_strictly_increasing_within_one_second_and_across_seconds() -> None:
    generator = LogIdGenerator(random.Random(2))
    ids = [generator.next_id(WHEN) for _ in range(500)]
    ids += [generator.next_id(WHEN + timedelta(seconds=1)) for _ in range(10)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert log_id_time(ids[-1]) == (WHEN + timedelta(seconds=1)).replace(microsecond=0)


def test_clock_stepping_back_never_produces_a_smaller_id() -> None:
    generator = LogIdGenerator(random.Random(3))
    later = generator.next_id(WHEN)
    earlier = generator.next_id(WHEN - timedelta(minutes=5))
    assert earlier > later
    assert log_id_time(earlier) == log_id_time(later)


def test_is_log_id_and_bad_input() -> None:
    assert is_log_id("9" * 56)
    assert not is_log_id("9" * 55) and not is_log_id("x" * 56)
    with pytest.raises(ValueError, match="56-digit"):
        log_id_time("123")
