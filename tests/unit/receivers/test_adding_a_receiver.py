"""Adding a receiver is one module and one registry entry: a test-only ``heartbeat`` receiver
(``tests/support/heartbeat_receiver.py``) validates from YAML, is built, runs and emits through the
intake, with no change to the configuration package."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from otel_auth0.collector_config import load_config
from otel_auth0.config import ConfigError
from otel_auth0.exporters.file import read_otlp_json_lines
from otel_auth0.receivers.registry import RECEIVERS, Registry
from otel_auth0.runtime import Collector
from tests.support import heartbeat_receiver
from tests.support.heartbeat_receiver import HeartbeatConfig

REGISTRY = {**RECEIVERS, "heartbeat": heartbeat_receiver.FACTORY}


def _write(tmp_path: Path, receivers: str) -> Path:
    path = tmp_path / "otel-auth0.yaml"
    path.write_text(
        f"state_dir: {tmp_path / 'state'}\n"
        "telemetry:\n  listen: null\n"
        f"exporters:\n  file:\n    path: {tmp_path / 'out.jsonl'}\n"
        f"receivers:\n{receivers}",
        encoding="utf-8",
    )
    return path


def test_the_new_section_validates_from_yaml_with_its_own_type(tmp_path: Path) -> None:
    path = _write(tmp_path, "  heartbeat:\n    interval: 50ms\n    message: beat\n")
    config = load_config(path, {}, receivers=REGISTRY)
    section = config.receivers.section(HeartbeatConfig)
    assert section is not None and (section.interval, section.message) == (0.05, "beat")
    assert list(config.receivers) == ["heartbeat"]
    on_with_defaults = load_config(_write(tmp_path, "  heartbeat:\n"), {}, receivers=REGISTRY)
    assert on_with_defaults.receivers.section(HeartbeatConfig) == HeartbeatConfig()


@pytest.mark.parametrize(
    ("receivers", "registry", "message"),
    [
        (
            "  heartbeat: {}\n",
            RECEIVERS,
            "receivers.heartbeat: unknown key (check the spelling; see docs/configuration.md)",
        ),
        ("  heartbeet: {}\n", REGISTRY, "receivers.heartbeet: unknown key; did you mean heartbeat?"),
        (
            "  heartbeat:\n    mesage: x\n",
            REGISTRY,
            "receivers.heartbeat.mesage: unknown key; did you mean message?",
        ),
        (
            "  heartbeat:\n    interval: soon\n",
            REGISTRY,
            "receivers.heartbeat.interval: not a duration; use e.g. 500ms, 10s, 5m, 2h, 7d",
        ),
    ],
)
def test_keys_outside_the_registry_and_bad_values_are_refused_by_name(
    tmp_path: Path, receivers: str, registry: Registry, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, receivers), {}, receivers=registry)
    assert str(caught.value) == message


def test_a_section_without_a_factory_in_the_runtime_registry_is_refused(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "  heartbeat: {}\n"), {}, receivers=REGISTRY)
    with pytest.raises(ValueError, match="receivers: no factory in the registry for heartbeat"):
        Collector(config, RECEIVERS)


def test_the_new_receiver_is_built_runs_and_emits_through_the_intake(tmp_path: Path) -> None:
    config = load_config(
        _write(tmp_path, "  heartbeat:\n    interval: 50ms\n    message: beat\n"), {}, receivers=REGISTRY
    )
    collector = Collector(config, REGISTRY)
    statuses = collector.receiver_statuses()
    assert set(statuses) == {"heartbeat"}

    async def scenario() -> bool:
        stop = asyncio.Event()
        running = asyncio.create_task(collector.run(stop))
        deadline = time.monotonic() + 60
        while statuses["heartbeat"].last_success is None:
            assert time.monotonic() < deadline, "the heartbeat receiver never succeeded"
            await asyncio.sleep(0.02)
        stop.set()
        return await running

    assert asyncio.run(scenario()), "the queue was not flushed on stop"
    records = [
        record
        for line in read_otlp_json_lines(tmp_path / "out.jsonl")
        for resource in line.get("resourceLogs", ())
        for scope in resource["scopeLogs"]
        if scope["scope"]["name"] == heartbeat_receiver.SCOPE
        for record in scope["logRecords"]
    ]
    assert records, "no heartbeat record reached the exporter"
    assert {(record["eventName"], record["body"]["stringValue"]) for record in records} == {
        (heartbeat_receiver.EVENT_NAME, "beat")
    }
    assert statuses["heartbeat"].restarts == 0
