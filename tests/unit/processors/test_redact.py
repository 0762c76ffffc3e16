"""PII redaction: methods, consistency across attributes, spans and bodies, configuration errors, and
a scan of everything the real pipeline writes (queue database, exported file, metrics)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any, Literal

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

from otel_auth0.collector_config import parse_config
from otel_auth0.config import ConfigError, RedactConfig, TelemetryConfig
from otel_auth0.convert.events import normalize_event
from otel_auth0.convert.mapping import EventConverter
from otel_auth0.convert.wire import encode_resource
from otel_auth0.exporters.file import FileExporter, read_otlp_json_lines
from otel_auth0.instruments import Instruments
from otel_auth0.pipeline.intake import Intake
from otel_auth0.pipeline.worker import ExportWorker
from otel_auth0.processors.redact import DROPPED, MASK, Redactor, build_redactor
from otel_auth0.state.queue import PersistentQueue
from tests.support.decoded import attrs, log_of, spans_of

SALT = "pepper"
EMAIL = "ada.lovelace@example.com"
ACCENTED = "zoë.o'hara@example.com"
IPV6 = "2001:db8::7"
IPV4 = "203.0.113.77"
USER_ID = "auth0|60f1c0ffee"
CLIENT_NAME = "Payroll Portal"
FIELDS = ["user.name", "user.email", "user.id", "enduser.id", "client.address", "auth0.client.name", "geo.*"]
SECRETS = (EMAIL, ACCENTED, IPV6, IPV4, USER_ID, "60f1c0ffee", CLIENT_NAME, "Reykjavik")


def hmac_hex(value: str, salt: str = SALT) -> str:
    return hmac.new(salt.encode(), value.encode(), hashlib.sha256).hexdigest()


def converter(method: Literal["hash", "mask", "drop"] = "hash", **telemetry: Any) -> EventConverter:
    config = RedactConfig(fields=FIELDS, method=method, salt=SALT if method == "hash" else None)
    return EventConverter(
        tenant="acme", telemetry=TelemetryConfig(**telemetry), redactor=build_redactor(config)
    )


def events() -> list[dict[str, Any]]:
    initiated = 1_700_000_000_000
    return [
        {
            "log_id": "900-1",
            "type": "fp",
            "date": "2026-11-29T01:00:00.000Z",
            "description": f"Wrong email or password for {EMAIL}",
            "ip": IPV6,
            "user_name": EMAIL,
            "user_id": USER_ID,
            "client_id": "cid-1",
            "client_name": CLIENT_NAME,
            "connection": "Username-Password-Authentication",
            "details": {"transaction_id": "tx-1", "error": {"message": f"{EMAIL} blocked from {IPV6}"}},
            "location_info": {"city_name": "Reykjavik", "latitude": 64.1, "country_code": "IS"},
        },
        {
            "log_id": "900-2",
            "type": "s",
            "date": "2026-11-29T01:00:05.000Z",
            "description": "Successful login",
            "ip": IPV4,
            "user_name": EMAIL,
            "user_id": USER_ID,
            "client_id": "cid-1",
            "client_name": CLIENT_NAME,
            "connection": "Username-Password-Authentication",
            "details": {
                "transaction_id": "tx-1",
                "initiatedAt": initiated,
                "completedAt": initiated + 4000,
                "elapsedTime": 4000,
                "prompts": [
                    {
                        "name": "login",
                        "initiatedAt": initiated,
                        "completedAt": initiated + 3000,
                        "user_id": USER_ID,
                        "user_name": EMAIL,
                        "identity": "60f1c0ffee",
                    },
                ],
            },
        },
        {
            "log_id": "900-3",
            "type": "sce",
            "date": "2026-11-29T01:00:09.000Z",
            "description": f"Email changed to {ACCENTED}",
            "ip": IPV4,
            "user_name": ACCENTED,
            "details": {"email": ACCENTED, "note": f'he wrote "{ACCENTED}"'},
        },
    ]


def test_hash_is_a_keyed_hmac_consistent_across_attributes_spans_and_body() -> None:
    converted = converter().convert(normalize_event(events()[0]), 0)
    record, spans = log_of(converted), spans_of(converted)
    attributes = attrs(record)
    assert attributes["user.name"] == attributes["user.email"] == hmac_hex(EMAIL)
    assert attributes["client.address"] == hmac_hex(IPV6)
    assert attributes["user.id"] == attributes["enduser.id"] == hmac_hex(USER_ID)
    assert attributes["geo.locality.name"] == hmac_hex("Reykjavik")
    assert attributes["geo.location.lat"] == hmac_hex("64.1")
    assert attributes["auth0.connection"] == "Username-Password-Authentication"
    assert record.body.string_value == f"Wrong email or password for {hmac_hex(EMAIL)}"
    assert attributes["error.message"] == f"{hmac_hex(EMAIL)} blocked from {hmac_hex(IPV6)}"
    assert EMAIL not in attributes["auth0.details"] and hmac_hex(EMAIL) in attributes["auth0.details"]
    span_attributes = attrs(spans[0])
    assert span_attributes["user.email"] == hmac_hex(EMAIL)
    assert spans[0].status.message == attributes["error.message"]


def test_hash_is_stable_across_converters_and_depends_on_the_salt() -> None:
    raw = normalize_event(events()[0])
    first = attrs(log_of(converter().convert(raw, 0)))["user.name"]
    again = attrs(log_of(converter().convert(raw, 0)))["user.name"]
    other = Redactor(RedactConfig(fields=["user.name"], salt="other")).replacement(EMAIL)
    assert first == again != other


def test_mask_and_drop() -> None:
    raw = normalize_event(events()[0])
    masked = log_of(converter("mask").convert(raw, 0))
    assert attrs(masked)["user.email"] == MASK
    assert masked.body.string_value == f"Wrong email or password for {MASK}"
    dropped = log_of(converter("drop").convert(raw, 0))
    assert not {"user.name", "user.email", "client.address", "geo.locality.name"} & set(attrs(dropped))
    assert dropped.body.string_value == f"Wrong email or password for {DROPPED}"
    assert attrs(dropped)["auth0.log.outcome"] == "failure"


def test_json_escaped_and_bare_identity_occurrences_are_scrubbed() -> None:
    details = attrs(log_of(converter().convert(normalize_event(events()[2]), 0)))["auth0.details"]
    assert "zo" not in details.replace(hmac_hex(ACCENTED), "")
    timed = converter().convert(normalize_event(events()[1]), 0)
    assert "60f1c0ffee" not in attrs(log_of(timed))["auth0.details"]


def test_short_values_are_replaced_in_their_attribute_but_not_scrubbed_from_text() -> None:
    raw = normalize_event({"type": "f", "user_name": "jo", "description": "jo failed, journey over"})
    attributes = attrs(log_of(converter().convert(raw, 0)))
    assert attributes["user.name"] == hmac_hex("jo")
    assert attributes["error.message"] == "jo failed, journey over"


@pytest.mark.parametrize(
    ("redact", "message"),
    [
        ({"fields": ["user_email"], "salt": "s"}, "user_email: not a redactable attribute name"),
        ({"fields": ["auth0.log.outcome"], "salt": "s"}, "auth0.log.outcome: not a redactable"),
        ({"fields": ["nothing.*"], "salt": "s"}, "nothing.*: not a redactable"),
        ({"fields": ["user.email"]}, "salt: required when method is hash"),
    ],
)
def test_configuration_errors_name_the_problem(redact: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=r"processors\.redact") as error:
        parse_config({"auth0": {"domain": "acme.eu.auth0.com"}, "processors": {"redact": redact}})
    assert message in str(error.value)


def test_wildcards_and_no_fields() -> None:
    config = parse_config(
        {
            "auth0": {"domain": "acme.eu.auth0.com"},
            "processors": {"redact": {"fields": ["geo.*"], "method": "drop"}},
        }
    )
    assert build_redactor(config.processors.redact) is not None
    assert build_redactor(RedactConfig()) is None
    assert build_redactor(None) is None


@pytest.mark.parametrize("method", ["hash", "mask", "drop"])
def test_no_redacted_value_leaves_the_process(
    tmp_path: Path, method: Literal["hash", "mask", "drop"]
) -> None:
    """Real queue (SQLite on disk), export worker, file exporter and metrics: scan every byte written."""
    exporter = FileExporter(tmp_path / "out" / "telemetry.jsonl")
    reader = PeriodicExportingMetricReader(exporter.metric_exporter(), export_interval_millis=3_600_000)
    provider = MeterProvider(metric_readers=[reader])
    instruments = Instruments(provider.get_meter("test"))
    queue = PersistentQueue(tmp_path / "state" / "queue.sqlite3", exporter.bit)
    intake = Intake(queue, converter(method, metric_dimensions=["connection", "client"]), instruments)
    result = intake.submit_events([normalize_event(item) for item in events()], "import")
    assert result.accepted == 3
    on_disk_while_queued = b"".join(path.read_bytes() for path in (tmp_path / "state").iterdir())
    worker = ExportWorker(queue, exporter, encode_resource({"service.name": "auth0"}), "test", instruments)
    assert worker.export_once() == 3 + 1 + 2  # three log records; spans: fp, and s with one prompt
    provider.force_flush()
    provider.shutdown()
    queue.close()
    exported = exporter.path.read_bytes()
    everything = (
        on_disk_while_queued + exported + b"".join(p.read_bytes() for p in (tmp_path / "state").iterdir())
    )
    lines = read_otlp_json_lines(exporter.path)
    assert any("resourceMetrics" in line for line in lines) and any("resourceSpans" in line for line in lines)
    assert b"Username-Password-Authentication" in exported  # the scan sees what is not redacted
    for secret in SECRETS:
        for form in {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}:
            assert form.encode() not in everything, f"{form!r} leaked ({method})"


def test_with_user_email_redacted_every_email_address_in_the_event_is_redacted() -> None:
    redactor = build_redactor(RedactConfig(fields=["user.email"], salt=SALT))
    sapi = {
        "type": "sapi",
        "description": "Create a User",
        "details": {"request": {"path": "/api/v2/users", "body": {"email": "neo@test.com"}}},
    }
    fn = {"type": "fn", "description": "Failed to send to dev@test.com", "details": {"to": "dev@test.com"}}
    for raw in (sapi, fn):
        record = log_of(EventConverter(redactor=redactor).convert(normalize_event(raw), 0))
        text = json.dumps(attrs(record)) + record.body.string_value
        assert "@test.com" not in text
        assert hmac_hex("neo@test.com") in text or hmac_hex("dev@test.com") in text


def test_dropping_the_client_address_keeps_the_span_kind() -> None:
    converted = converter("drop").convert(normalize_event(events()[0]), 0)
    span = spans_of(converted)[0]
    assert "client.address" not in attrs(span)
    assert span.kind == span.SPAN_KIND_SERVER
