"""event_stream receiver pieces: its section (token rules, gap_fill) and delivery-body parsing."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from otel_auth0.auth0.event_streams import FailedDelivery, api_time
from otel_auth0.collector_config import parse_config
from otel_auth0.config.base import ConfigError
from otel_auth0.receivers import event_stream as event_stream_module
from otel_auth0.receivers.base import Services
from otel_auth0.receivers.event_stream import (
    GAP_CHECKPOINT,
    MAX_REDELIVERIES,
    EventStreamReceiver,
    parse_cloudevents,
)
from otel_auth0.receivers.event_stream_config import EventStreamConfig
from otel_auth0.receivers.log_stream import RejectedRequest
from otel_auth0.runtime import Pipeline

EVENT = {"id": "evt_1", "source": "urn:auth0:t", "specversion": "1.0", "type": "user.created"}
AUTH0 = {"domain": "acme.us.auth0.com", "client_id": "id", "client_secret": "secret"}


def config(section: dict[str, Any], auth0: dict[str, Any] | None = None) -> EventStreamConfig:
    data: dict[str, Any] = {"receivers": {"event_stream": section}}
    if auth0 is not None:
        data["auth0"] = auth0
    parsed = parse_config(data).receivers.section(EventStreamConfig)
    assert parsed is not None
    return parsed


def test_defaults_listen_beside_the_log_stream() -> None:
    section = config({"token": "s3cret"})
    assert (section.listen, section.path, section.gap_fill) == ("127.0.0.1:8384", "/auth0/events", None)


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({}, "receivers.event_stream: .*token: is missing"),
        ({"token": ""}, "token: is empty or blank"),
        ({"token": "   "}, "token: is empty or blank"),
        ({"token": "t", "gap_fill": {"stream_id": "lst_1"}}, "stream_id: .*est_"),
    ],
)
def test_a_missing_or_blank_token_or_a_bad_stream_id_is_refused(
    section: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        config(section, AUTH0)


def test_unauthenticated_must_be_said() -> None:
    section = config({"auth": "none"})
    assert section.token is None and section.auth == "none"


def test_gap_fill_needs_the_tenant_and_a_machine_to_machine_app() -> None:
    with pytest.raises(
        ConfigError, match=re.escape("auth0: required when receivers.event_stream.gap_fill is on")
    ):
        config({"token": "t", "gap_fill": {"stream_id": "est_1"}})
    with pytest.raises(
        ConfigError, match=re.escape("auth0.client_secret: required by receivers.event_stream.gap_fill")
    ):
        config({"token": "t", "gap_fill": {"stream_id": "est_1"}}, {**AUTH0, "client_secret": ""})
    gap_fill = config({"token": "t", "gap_fill": {"stream_id": "est_1", "interval": "30s"}}, AUTH0).gap_fill
    assert gap_fill is not None and (gap_fill.interval, gap_fill.lookback, gap_fill.max_per_run) == (
        30.0,
        86400.0,
        100,
    )


@pytest.mark.parametrize(
    ("body", "media_type", "count"),
    [
        (EVENT, "application/json", 1),
        (EVENT, "application/cloudevents+json", 1),
        ([EVENT, {**EVENT, "id": "evt_2"}], "application/cloudevents-batch+json", 2),
        ([EVENT, {**EVENT, "id": "evt_2"}], "application/json", 2),
    ],
)
def test_single_and_batched_deliveries(body: object, media_type: str, count: int) -> None:
    assert len(parse_cloudevents(json.dumps(body).encode(), media_type)) == count


@pytest.mark.parametrize(
    ("body", "media_type", "problem"),
    [
        (b"{not json", "application/json", "body is not JSON"),
        (json.dumps(EVENT).encode(), "application/cloudevents-batch+json", "must be a JSON array"),
        (json.dumps([EVENT]).encode(), "application/cloudevents+json", "must be one CloudEvent object"),
        (b"[]", "application/json", "empty batch"),
        (
            json.dumps([EVENT, {"log_id": "1", "data": {}}]).encode(),
            "application/json",
            "item 1: this is an Auth0",
        ),
    ],
)
def test_bodies_that_are_not_cloudevents_are_400_naming_the_problem(
    body: bytes, media_type: str, problem: str
) -> None:
    with pytest.raises(RejectedRequest, match=problem) as raised:
        parse_cloudevents(body, media_type)
    assert raised.value.status == 400


class _Session:
    def __init__(self, *args: object) -> None:
        pass

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def test_gap_fill_redelivers_failed_deliveries_and_keeps_its_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checkpoint waits at the oldest failed delivery; an event still failing after
    MAX_REDELIVERIES is not asked again (mocks stand in for the Management API here; the real
    routes are exercised in tests/integration/test_event_stream_e2e.py)."""
    config = parse_config(
        {
            "auth0": AUTH0,
            "state_dir": str(tmp_path / "state"),
            "receivers": {
                "event_stream": {
                    "listen": "127.0.0.1:0",
                    "token": "t",
                    "gap_fill": {"stream_id": "est_1", "lookback": "1h", "settle": "10m"},
                }
            },
            "exporters": {"file": {"path": str(tmp_path / "out.jsonl")}},
        }
    )
    pipeline = Pipeline.create(config)
    settings = config.receivers.section(EventStreamConfig)
    assert settings is not None
    receiver = EventStreamReceiver(
        settings, Services("event_stream", pipeline.intake, pipeline.instruments, config.auth0)
    )
    old = datetime.now(UTC) - timedelta(minutes=30)
    failed = [
        FailedDelivery("evt_old", "user.deleted", old, 3),
        FailedDelivery("evt_new", "user.created", None, 1),
    ]
    asked: list[str] = []
    since: list[datetime] = []

    def listed(session: object, stream_id: str, date_from: datetime) -> list[FailedDelivery]:
        since.append(date_from)
        return list(failed)

    monkeypatch.setattr(event_stream_module, "SdkSession", _Session)
    monkeypatch.setattr(event_stream_module.event_streams, "failed_deliveries", listed)
    monkeypatch.setattr(event_stream_module.event_streams, "redeliver", lambda s, i, e: asked.append(e))
    try:
        assert receiver.fill_gaps_once() == 2
        first = pipeline.intake.get_checkpoint(GAP_CHECKPOINT)
        assert first is not None and first.value == api_time(old)  # the oldest failure still listed
        for _ in range(MAX_REDELIVERIES):
            receiver.fill_gaps_once()
        assert asked.count("evt_old") == asked.count("evt_new") == MAX_REDELIVERIES
        assert since[0] <= datetime.now(UTC) - timedelta(minutes=59)  # lookback on the first look
        assert since[1].replace(microsecond=0) == old.replace(microsecond=0)  # then from the checkpoint
        failed.clear()
        receiver.fill_gaps_once()
        moved = pipeline.intake.get_checkpoint(GAP_CHECKPOINT)
        assert moved is not None and moved.value > first.value  # nothing failing: now - settle
    finally:
        pipeline.queue.close()
