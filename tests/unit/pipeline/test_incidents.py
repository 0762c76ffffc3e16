"""One log line per incident class: repeats within the window are counted, then summarised."""

from __future__ import annotations

import logging

import pytest

from otel_auth0.incidents import Incidents


def test_repeats_are_counted_and_reported_with_the_next_line(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.incidents")
    incidents = Incidents(logger, window=0.0)
    quiet = Incidents(logger, window=3600.0)
    with caplog.at_level(logging.INFO, logger="test.incidents"):
        assert quiet.report("full", logging.WARNING, "queue full: %s", "x")
        assert not any(quiet.report("full", logging.WARNING, "queue full: %s", "x") for _ in range(5))
        assert quiet.report("other", logging.WARNING, "another class")  # classes are independent
        quiet.resolve("full", "queue takes input again")
        quiet.resolve("never", "not logged: never reported")
        assert incidents.report("disk", logging.WARNING, "disk full")
        assert incidents.report("disk", logging.WARNING, "disk full")  # window over: logged again
    assert [record.getMessage() for record in caplog.records] == [
        "queue full: x",
        "another class",
        "queue takes input again (6 occurrences)",
        "disk full",
        "disk full",
    ]
