"""Log-record attributes, including the odd shapes real Auth0 payloads take."""

from __future__ import annotations

import json
from typing import Any

import pytest

from otel_auth0.config import TelemetryConfig
from otel_auth0.convert.attributes import LOG_ATTRIBUTE_KEYS, MAX_LIST_ITEMS
from otel_auth0.convert.events import normalize_event
from otel_auth0.convert.mapping import EventConverter
from tests.support.decoded import attrs, log_of

OBSERVED = 1_800_000_000_000_000_000


def convert(item: dict[str, Any], **telemetry: Any) -> tuple[Any, dict[str, Any]]:
    converted = EventConverter(tenant="acme", telemetry=TelemetryConfig(**telemetry)).convert(
        normalize_event(item), OBSERVED
    )
    record = log_of(converted)
    return record, attrs(record)


def test_full_login_event() -> None:
    record, attributes = convert(
        {
            "log_id": "900123",
            "type": "s",
            "date": "2026-11-29T01:02:03.456Z",
            "description": "Successful login",
            "ip": "198.51.100.4",
            "user_agent": "Mozilla/5.0",
            "hostname": "acme.eu.auth0.com",
            "user_id": "auth0|abc",
            "user_name": "ada@example.com",
            "client_id": "cid",
            "client_name": "Portal",
            "connection": "db",
            "connection_id": "con_1",
            "strategy": "auth0",
            "strategy_type": "database",
            "organization_id": "org_1",
            "organization_name": "Org",
            "audience": "https://api",
            "scope": "openid profile",
            "tenant_name": "acme",
            "environment_name": "prod-eu-1",
            "isMobile": False,
            "references": {"correlation_id": "corr-1"},
            "security_context": {"ja3": "ja3hash", "ja4": "ja4hash"},
            "details": {"transaction_id": "tx", "session_id": "sess"},
            "location_info": {
                "country_code": "IS",
                "city_name": "Reykjavik",
                "continent_code": "EU",
                "latitude": "64.1",
                "longitude": -21.9,
                "time_zone": "Atlantic/Reykjavik",
                "country_name": "Iceland",
            },
        }
    )
    assert record.time_unix_nano == 1_795_914_123_456_000_000
    assert record.body.string_value == "Successful login"
    assert record.severity_text == "INFO"
    expected = {
        "auth0.log.id": "900123",
        "client.address": "198.51.100.4",
        "user_agent.original": "Mozilla/5.0",
        "server.address": "acme.eu.auth0.com",
        "user.id": "auth0|abc",
        "enduser.id": "auth0|abc",
        "user.name": "ada@example.com",
        "user.email": "ada@example.com",
        "auth0.client.id": "cid",
        "auth0.client.name": "Portal",
        "auth0.connection": "db",
        "auth0.connection.id": "con_1",
        "auth0.strategy": "auth0",
        "auth0.strategy_type": "database",
        "auth0.organization.id": "org_1",
        "auth0.organization.name": "Org",
        "auth0.audience": "https://api",
        "auth0.scope": ["openid", "profile"],
        "auth0.tenant.name": "acme",
        "auth0.environment.name": "prod-eu-1",
        "auth0.is_mobile": False,
        "auth0.correlation.id": "corr-1",
        "tls.client.ja3": "ja3hash",
        "auth0.tls.client.ja4": "ja4hash",
        "auth0.transaction.id": "tx",
        "auth0.session.id": "sess",
        "geo.country.iso_code": "IS",
        "geo.locality.name": "Reykjavik",
        "geo.continent.code": "EU",
        "geo.location.lat": 64.1,
        "geo.location.lon": -21.9,
        "auth0.location.time_zone": "Atlantic/Reykjavik",
        "auth0.location.country_name": "Iceland",
    }
    assert {key: attributes[key] for key in expected} == expected
    assert "error.type" not in attributes
    assert set(attributes) <= LOG_ATTRIBUTE_KEYS


@pytest.mark.parametrize(
    ("item", "present", "absent"),
    [
        ({"type": "s", "is_mobile": True}, {"auth0.is_mobile": True}, ()),
        ({"type": "s", "isMobile": True, "is_mobile": False}, {"auth0.is_mobile": True}, ()),
        ({"type": "s", "_id": "9001"}, {"auth0.log.id": "9001"}, ()),
        ({"type": "s", "client_id": None, "client_name": ""}, {}, ("auth0.client.id", "auth0.client.name")),
        ({"type": "s", "ip": "2001:db8::1"}, {"client.address": "2001:db8::1"}, ()),
        ({"type": "s", "user_id": 12345}, {"user.id": "12345"}, ()),
        (
            {"type": "s", "scope": ["read:users", None, "openid"]},
            {"auth0.scope": ["read:users", "openid"]},
            (),
        ),
        ({"type": "s", "scope": "  "}, {}, ("auth0.scope",)),
        ({"type": "s", "user_name": "not an email"}, {"user.name": "not an email"}, ("user.email",)),
        ({"type": "s", "details": {"email": "b@example.com"}}, {"user.email": "b@example.com"}, ()),
        ({"type": "s"}, {}, ("auth0.details", "auth0.log.id")),
        ({"type": "s", "details": "plain text"}, {"auth0.details": '"plain text"'}, ()),
        ({"type": "s", "location_info": {"latitude": "north", "longitude": True}}, {}, ("geo.location.lat",)),
        ({"type": "s", "location_info": "Paris"}, {}, ("geo.locality.name",)),
        ({"type": "s", "references": {"trace_id": "x"}}, {}, ("auth0.correlation.id",)),
        (
            {"type": "api_limit", "details": {"limit": {"bucket": "per_client", "global": False}}},
            {"auth0.rate_limit": True, "auth0.rate_limit.bucket": "per_client", "error.type": "api_limit"},
            (),
        ),
    ],
)
def test_odd_shapes(item: dict[str, Any], present: dict[str, Any], absent: tuple[str, ...]) -> None:
    _, attributes = convert(item)
    assert {key: attributes.get(key) for key in present} == present
    assert not set(absent) & set(attributes)


@pytest.mark.parametrize(
    ("details", "description", "error_type", "message"),
    [
        ({"error": {"type": "invalid_grant", "message": "bad code"}}, "x", "invalid_grant", "bad code"),
        ({"error": {"payload": {"code": "access_denied"}}}, "Denied", "access_denied", "Denied"),
        ({"error": "Invalid state"}, "x", "feacft", "Invalid state"),
        (None, None, "feacft", "Authorization code exchange failed"),
    ],
)
def test_failure_error_fields(details: Any, description: Any, error_type: str, message: str) -> None:
    _, attributes = convert({"type": "feacft", "details": details, "description": description})
    assert (attributes["error.type"], attributes["error.message"]) == (error_type, message)


def test_huge_values_are_capped_and_flagged() -> None:
    details = {"blob": "x" * 100_000, "nested": [{"k": "v" * 1000}] * 50}
    record, attributes = convert(
        {"type": "s", "details": details, "description": "d" * 10_000, "scope": ["s"] * 500},
        max_attribute_length=256,
    )
    assert len(attributes["auth0.details"]) == 256 and attributes["auth0.details"].endswith("…")
    assert attributes["auth0.details.truncated"] is True
    assert len(record.body.string_value) == 256
    assert len(attributes["auth0.scope"]) == MAX_LIST_ITEMS
    _, small = convert({"type": "s", "details": {"a": 1}})
    assert json.loads(small["auth0.details"]) == {"a": 1} and "auth0.details.truncated" not in small


def test_unparseable_date_falls_back_to_observed_time() -> None:
    record, _ = convert({"type": "s", "date": "yesterday"})
    assert record.time_unix_nano == record.observed_time_unix_nano == OBSERVED


def test_log_stream_wrapper_and_unknown_code() -> None:
    record, attributes = convert({"log_id": "L1", "data": {"type": "new_thing", "description": "?"}})
    assert attributes["auth0.log.id"] == "L1"
    assert (attributes["auth0.log.category"], attributes["auth0.log.outcome"]) == ("other", "unknown")
    assert record.severity_text == "INFO" and record.event_name == "auth0.log.new_thing"


@pytest.mark.parametrize(
    "details",
    [
        {"a": 1, "b": [True, None, 1.5], "é": "ü"},
        {"huge": 2**70},  # beyond orjson's 64-bit integers: the standard library writes it
        {"quote": 'say "hi"\n\t\\'},
    ],
)
def test_details_are_compact_json_of_the_event_details(details: dict[str, Any]) -> None:
    event = normalize_event({"type": "s", "log_id": "1", "details": details})
    record = log_of(EventConverter().convert(event))
    text = attrs(record)["auth0.details"]
    assert json.loads(text) == details
    assert ", " not in text and ": " not in text
