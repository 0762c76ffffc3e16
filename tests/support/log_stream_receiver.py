"""A Log Stream receiver, not listening, on a pipeline: SQLite queue under ``tmp_path``, file exporter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from otel_auth0.collector_config import parse_config
from otel_auth0.receivers.base import Services
from otel_auth0.receivers.log_stream import LogStreamReceiver
from otel_auth0.receivers.log_stream_config import LogStreamConfig
from otel_auth0.runtime import Pipeline


def make_receiver(
    tmp_path: Path, retry_after: str = "3s", **queue: Any
) -> tuple[LogStreamReceiver, Pipeline]:
    """The receiver (token ``t``) and its pipeline; ``queue`` sets the ``queue:`` section."""
    config = parse_config(
        {
            "state_dir": str(tmp_path / "state"),
            "receivers": {"log_stream": {"listen": "127.0.0.1:0", "token": "t", "retry_after": retry_after}},
            "exporters": {"file": {"path": str(tmp_path / "out.jsonl")}},
            "queue": queue,
        }
    )
    pipeline = Pipeline.create(config)
    settings = config.receivers.section(LogStreamConfig)
    assert settings is not None
    services = Services("log_stream", pipeline.intake, pipeline.instruments)
    return LogStreamReceiver(settings, services), pipeline
