"""event_stream receiver pieces: its section (token rules, gap_fill) and delivery-body parsing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from otel_auth0.config.base import ConfigError
from otel_auth0.config.loader import parse_config
from otel_auth0.receivers.event_stream import parse_cloudevents
from otel_auth0.receivers.event_stream_config import EventStreamConfig
from otel_auth0.receivers.log_stream import RejectedRequest

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
        ({}, "receivers.event_stream: .*token: required"),
        ({"token": ""}, "token: empty or blank"),
        ({"token": "   "}, "token: empty or blank"),
        ({"token": "t", "gap_fill": {"stream_id": "lst_1"}}, "stream_id: .*est_"),
    ],
)
def test_a_missing_or_blank_token_or_a_bad_stream_id_is_refused(
    section: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        config(section, AUTH0)


def test_unauthenticated_must_be_said() -> None:
    section = config({"unauthenticated": True})
    assert section.token is None and section.unauthenticated


def test_gap_fill_needs_the_tenant_and_a_machine_to_machine_app() -> None:
    with pytest.raises(ConfigError, match="auth0: required when receivers.event_stream.gap_fill is on"):
        config({"token": "t", "gap_fill": {"stream_id": "est_1"}})
    with pytest.raises(ConfigError, match="auth0.client_secret: required by receivers.event_stream.gap_fill"):
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
