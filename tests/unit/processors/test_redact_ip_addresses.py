"""With ``client.address`` redaction on, no IP address survives anywhere in an event: the top-level
``ip``, ``details.request.ip``, forwarded-for chains, response bodies, ``client_ip`` and free text."""

from __future__ import annotations

import json
from typing import Any

import pytest

from otel_auth0.config import RedactConfig
from otel_auth0.convert.events import normalize_event
from otel_auth0.convert.mapping import EventConverter
from otel_auth0.processors.redact import MASK, build_redactor, ip_addresses
from tests.support.decoded import attrs, log_of, spans_of

ADDRESSES = [
    "203.0.113.77",
    "198.51.100.1",
    "192.0.2.44",
    "10.1.2.3",
    "2001:db8::7",
    "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    "::ffff:192.0.2.128",
    "fe80::1",
    "100.64.0.9",
]


def event() -> dict[str, Any]:
    return {
        "log_id": "90020261129000000" + "4" * 39,
        "type": "fp",
        "date": "2026-11-29T00:00:00Z",
        "ip": ADDRESSES[0],
        "client_ip": ADDRESSES[1],
        "description": f"Wrong password from {ADDRESSES[2]} (via {ADDRESSES[3]})",
        "details": {
            "request": {
                "ip": ADDRESSES[4],
                "headers": {"x-forwarded-for": f"{ADDRESSES[5]}, {ADDRESSES[6]}"},
                "body": {"note": f"seen at [{ADDRESSES[7]}]:443"},
            },
            "response": {"body": json.dumps({"origin": ADDRESSES[8]})},
            "error": {"message": f"blocked {ADDRESSES[2]}"},
        },
    }


@pytest.mark.parametrize("method", ["mask", "hash"])
def test_every_ip_address_in_an_event_is_redacted(method: str) -> None:
    config = RedactConfig(fields=["client.address"], method=method, salt="s" if method == "hash" else None)  # type: ignore[arg-type]
    converted = EventConverter("acme", redactor=build_redactor(config)).convert(normalize_event(event()))
    record = log_of(converted)
    texts = [json.dumps(attrs(record)), record.body.string_value]
    texts += [json.dumps(attrs(span)) for span in spans_of(converted)]
    everything = "\n".join(texts)
    for address in ADDRESSES:
        assert address not in everything and json.dumps(address)[1:-1] not in everything, address
    if method == "mask":
        assert attrs(record)["client.address"] == MASK
    assert "Wrong password from" in record.body.string_value  # the text around them stays


def test_text_that_only_looks_like_an_address_is_left_alone() -> None:
    text = "Chrome/120.0.6099.109 at 12:30:45, MAC aa:bb:cc:dd:ee:ff, v1.2.3, 256.1.1.1"
    assert list(ip_addresses(text)) == []


def test_without_client_address_selected_addresses_stay() -> None:
    config = RedactConfig(fields=["user.email"], method="mask")
    converted = EventConverter("acme", redactor=build_redactor(config)).convert(normalize_event(event()))
    assert attrs(log_of(converted))["client.address"] == ADDRESSES[0]
