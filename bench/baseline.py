"""(a) The encoding limit: ``json.loads`` of the bodies plus building and serialising, directly with
opentelemetry-proto, one LogRecord per event carrying the attributes otel_auth0 emits. No
normalisation, redaction, capping, spans or metrics: the least work that yields the same log records."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from bench.result import Throughput
from otel_auth0.convert.attributes import DETAILS_FIELDS, LOCATION_FIELDS, STRING_FIELDS
from otel_auth0.convert.catalog import lookup

# The same attributes the mapping emits (names from the mapping's own tables), built directly.
_TOP_LEVEL: Final = (("log_id", "auth0.log.id"), *STRING_FIELDS)
_LOCATION: Final = tuple(
    (field, name) for field, name in LOCATION_FIELDS if field not in ("latitude", "longitude")
)
_DETAILS: Final = DETAILS_FIELDS


def _string(key: str, value: str) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _attributes(event: dict[str, Any]) -> list[KeyValue]:
    log_type = lookup(event["type"])
    out = [
        _string("auth0.log.type", log_type.code),
        _string("auth0.log.category", log_type.category),
        _string("auth0.log.outcome", log_type.outcome),
        _string("auth0.log.type_label", log_type.label),
    ]
    out += [_string(name, event[field]) for field, name in _TOP_LEVEL if event.get(field)]
    user_name = event.get("user_name")
    if isinstance(user_name, str) and "@" in user_name:
        out.append(_string("user.email", user_name))
    scope = event.get("scope")
    if scope:
        parts = scope.split() if isinstance(scope, str) else scope
        values = [AnyValue(string_value=part) for part in parts]
        out.append(KeyValue(key="auth0.scope", value=AnyValue(array_value=ArrayValue(values=values))))
    if isinstance(event.get("isMobile"), bool):
        out.append(KeyValue(key="auth0.is_mobile", value=AnyValue(bool_value=event["isMobile"])))
    security = event.get("security_context") or {}
    for field, name in (("ja3", "tls.client.ja3"), ("ja4", "auth0.tls.client.ja4")):
        if security.get(field):
            out.append(_string(name, security[field]))
    location = event.get("location_info") or {}
    out += [_string(name, str(location[field])) for field, name in _LOCATION if location.get(field)]
    for field, name in (("latitude", "geo.location.lat"), ("longitude", "geo.location.lon")):
        if location.get(field) is not None:
            out.append(KeyValue(key=name, value=AnyValue(double_value=float(location[field]))))
    details = event.get("details")
    if details is not None:
        if isinstance(details, dict):
            out += [_string(name, str(details[field])) for field, name in _DETAILS if details.get(field)]
        out.append(_string("auth0.details", json.dumps(details, separators=(",", ":"), ensure_ascii=False)))
    if log_type.outcome == "failure":
        out.append(_string("error.type", log_type.code))
        out.append(_string("error.message", event.get("description") or log_type.label))
    return out


def encode(event: dict[str, Any], observed_ns: int) -> bytes:
    """One serialised LogRecord for ``event``."""
    log_type = lookup(event["type"])
    moment = datetime.fromisoformat(event["date"])
    record = LogRecord(
        time_unix_nano=int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000,
        observed_time_unix_nano=observed_ns,
        severity_number=log_type.severity_number,  # type: ignore[arg-type]
        severity_text=log_type.severity_text,
        event_name=f"auth0.log.{log_type.code}",
        attributes=_attributes(event),
    )
    if event.get("description"):
        record.body.string_value = event["description"]
    return record.SerializeToString()


def encode_bodies(bodies: Iterable[bytes]) -> list[bytes]:
    """Every record of every body (for the smoke test and for comparing attributes)."""
    observed = time.time_ns()
    return [encode(item["data"], observed) for body in bodies for item in json.loads(body)]


def measure(rounds: Sequence[Sequence[bytes]], events: int) -> Throughput:
    """The best, in CPU time, of one pass per round over that round's bodies (``events`` each;
    distinct events per round, so nothing is measured on events it has already seen)."""
    best = float("inf")
    for bodies in rounds:
        started = time.process_time()
        for body in bodies:
            observed = time.time_ns()
            for item in json.loads(body):
                encode(item["data"], observed)
        best = min(best, time.process_time() - started)
    return Throughput(events, best)
