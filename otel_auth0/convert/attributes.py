"""Log-record attributes of an Auth0 event: semantic-convention names where OpenTelemetry has one,
``auth0.*`` otherwise. Odd real-world shapes (``isMobile``, ``client_id: null``, missing or huge
``details``, numbers where strings are expected) never raise.

Attributes are built at full length so that redaction sees whole values; :func:`cap_attributes`
then cuts every string to the configured length (documented in docs/telemetry.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import orjson

from otel_auth0.convert.catalog import LogType
from otel_auth0.convert.events import Event
from otel_auth0.convert.wire import AttributeValue

# Auth0 top-level string field -> attribute name.
STRING_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("ip", "client.address"),
    ("user_agent", "user_agent.original"),
    ("hostname", "server.address"),
    ("user_id", "user.id"),
    ("user_id", "enduser.id"),
    ("user_name", "user.name"),
    ("client_id", "auth0.client.id"),
    ("client_name", "auth0.client.name"),
    ("connection", "auth0.connection"),
    ("connection_id", "auth0.connection.id"),
    ("strategy", "auth0.strategy"),
    ("strategy_type", "auth0.strategy_type"),
    ("organization_id", "auth0.organization.id"),
    ("organization_name", "auth0.organization.name"),
    ("audience", "auth0.audience"),
    ("tenant_name", "auth0.tenant.name"),
    ("environment_name", "auth0.environment.name"),
    ("client_ip", "auth0.client_ip"),
    ("agent_id", "auth0.agent.id"),
)

# ``location_info`` field -> attribute name (``geo.*`` semantic conventions where they exist).
LOCATION_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("country_code", "geo.country.iso_code"),
    ("city_name", "geo.locality.name"),
    ("continent_code", "geo.continent.code"),
    ("latitude", "geo.location.lat"),
    ("longitude", "geo.location.lon"),
    ("country_name", "auth0.location.country_name"),
    ("time_zone", "auth0.location.time_zone"),
)

DETAILS_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("transaction_id", "auth0.transaction.id"),
    ("session_id", "auth0.session.id"),
)

DETAILS_KEY: Final = "auth0.details"
DETAILS_TRUNCATED_KEY: Final = "auth0.details.truncated"
MAX_LIST_ITEMS: Final = 64

# Attributes that classify the event; metrics and the catalog rely on them, so they are never redacted.
CLASSIFICATION_KEYS: Final = frozenset(
    {"auth0.log.type", "auth0.log.category", "auth0.log.outcome", "auth0.log.type_label"}
)

# Every attribute key a log record can carry (docs/telemetry.md documents each one).
LOG_ATTRIBUTE_KEYS: Final = frozenset(
    {name for _, name in STRING_FIELDS + LOCATION_FIELDS + DETAILS_FIELDS}
    | CLASSIFICATION_KEYS
    | {
        "auth0.log.id",
        "user.email",
        "auth0.scope",
        "auth0.is_mobile",
        "auth0.correlation.id",
        "tls.client.ja3",
        "auth0.tls.client.ja4",
        "auth0.rate_limit",
        "auth0.rate_limit.bucket",
        "error.type",
        "error.message",
        DETAILS_KEY,
        DETAILS_TRUNCATED_KEY,
    }
)


def cap(value: str, limit: int) -> str:
    """Cut ``value`` to ``limit`` characters, marking the cut with an ellipsis."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def cap_attributes(attributes: Mapping[str, AttributeValue], limit: int) -> dict[str, AttributeValue]:
    """Cap every string (and every string of a list) to ``limit`` characters; flag a cut ``auth0.details``."""
    capped = dict(attributes)
    for key, value in attributes.items():
        if isinstance(value, str):
            if len(value) > limit:
                capped[key] = cap(value, limit)
                if key == DETAILS_KEY:
                    capped[DETAILS_TRUNCATED_KEY] = True
        elif isinstance(value, (list, tuple)):
            capped[key] = [cap(str(item), limit) for item in value[:MAX_LIST_ITEMS]]
    return capped


def text_value(value: object) -> str | None:
    """A non-empty string, or a number rendered as one (some tenants send numeric ids)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _email(event: Event) -> str | None:
    details = event.get("details")
    candidates = (event.get("user_name"), details.get("email") if isinstance(details, dict) else None)
    for candidate in candidates:
        if isinstance(candidate, str) and "@" in candidate and " " not in candidate:
            return candidate
    return None


def _scope(value: object) -> list[str] | None:
    """``scope`` is a space-separated string or an array, depending on the log type."""
    if isinstance(value, str):
        parts = value.split()
    elif isinstance(value, list):
        parts = [text for text in (text_value(part) for part in value) if text]
    else:
        return None
    return parts or None


def error_fields(event: Event, log_type: LogType) -> tuple[str, str]:
    """``(error.type, error.message)`` for a failure event."""
    details = event.get("details")
    error: Any = details.get("error") if isinstance(details, dict) else None
    kind: object = None
    message: object = None
    if isinstance(error, dict):
        payload = error.get("payload")
        kind = (
            error.get("type")
            or error.get("code")
            or (payload.get("code") if isinstance(payload, dict) else None)
        )
        message = error.get("message")
    elif isinstance(error, str):
        message = error
    if not isinstance(kind, str) or not kind:
        kind = log_type.code
    if not isinstance(message, str) or not message:
        description = event.get("description")
        message = description if isinstance(description, str) and description else log_type.label
    return kind, message


def log_attributes(event: Event, log_type: LogType) -> dict[str, AttributeValue]:
    """All attributes of the log record for ``event``, uncapped (see :func:`cap_attributes`)."""
    attributes: dict[str, AttributeValue] = {
        "auth0.log.type": log_type.code,
        "auth0.log.category": log_type.category,
        "auth0.log.outcome": log_type.outcome,
        "auth0.log.type_label": log_type.label,
    }
    log_id = event.get("log_id")
    if isinstance(log_id, str) and log_id:
        attributes["auth0.log.id"] = log_id
    for field, name in STRING_FIELDS:
        value = event.get(field)
        if value.__class__ is not str:
            value = text_value(value)
        if value:
            attributes[name] = value
    email = _email(event)
    if email:
        attributes["user.email"] = email
    scope = _scope(event.get("scope"))
    if scope:
        attributes["auth0.scope"] = scope
    mobile = event.get("isMobile", event.get("is_mobile"))
    if isinstance(mobile, bool):
        attributes["auth0.is_mobile"] = mobile
    references = event.get("references")
    if isinstance(references, dict):
        correlation = text_value(references.get("correlation_id"))
        if correlation:
            attributes["auth0.correlation.id"] = correlation
    security = event.get("security_context")
    if isinstance(security, dict):
        for field, name in (("ja3", "tls.client.ja3"), ("ja4", "auth0.tls.client.ja4")):
            fingerprint = text_value(security.get(field))
            if fingerprint:
                attributes[name] = fingerprint
    _location_attributes(event, attributes)
    _details_attributes(event, attributes)
    if log_type.outcome == "failure":
        attributes["error.type"], attributes["error.message"] = error_fields(event, log_type)
    if log_type.rate_limit:
        attributes["auth0.rate_limit"] = True
    return attributes


def _location_attributes(event: Event, attributes: dict[str, AttributeValue]) -> None:
    location = event.get("location_info")
    if not isinstance(location, dict):
        return
    for field, name in LOCATION_FIELDS:
        value = location.get(field)
        if name.startswith("geo.location."):
            if isinstance(value, int | float) and not isinstance(value, bool):
                attributes[name] = float(value)
            elif isinstance(value, str):
                try:
                    attributes[name] = float(value)
                except ValueError:
                    continue
        else:
            text = text_value(value)
            if text:
                attributes[name] = text


def _details_attributes(event: Event, attributes: dict[str, AttributeValue]) -> None:
    details = event.get("details")
    if details is None:
        return
    if isinstance(details, dict):
        for field, name in DETAILS_FIELDS:
            value = text_value(details.get(field))
            if value:
                attributes[name] = value
        limit = details.get("limit")
        if isinstance(limit, dict):
            bucket = text_value(limit.get("bucket"))
            if bucket:
                attributes["auth0.rate_limit.bucket"] = bucket
    attributes[DETAILS_KEY] = compact_json(details)


def compact_json(value: object) -> str:
    """``value`` as compact JSON (orjson; the standard library's encoder for what orjson refuses, such as
    integers beyond 64 bits or non-string keys)."""
    try:
        return orjson.dumps(value, default=str).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
