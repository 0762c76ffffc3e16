"""Log-record attributes of an Auth0 event: semantic-convention names where OpenTelemetry has one,
``auth0.*`` otherwise. Odd real-world shapes (``isMobile``, ``client_id: null``, missing ``details``,
huge ``details``) never raise; string values are capped at the configured length."""

from __future__ import annotations

import json
from typing import Any

from otel_auth0.convert.catalog import LogType
from otel_auth0.convert.events import Event
from otel_auth0.convert.wire import AttributeValue

# Auth0 top-level string field -> attribute name.
_STRING_FIELDS: tuple[tuple[str, str], ...] = (
    ("ip", "client.address"),
    ("user_agent", "user_agent.original"),
    ("hostname", "server.address"),
    ("user_id", "user.id"),
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

_LOCATION_FIELDS: tuple[tuple[str, str], ...] = (
    ("country_code", "geo.country.iso_code"),
    ("city_name", "geo.locality.name"),
    ("continent_code", "geo.continent.code"),
    ("latitude", "geo.location.lat"),
    ("longitude", "geo.location.lon"),
    ("time_zone", "auth0.location.time_zone"),
)


def cap(value: str, limit: int) -> str:
    """Cut ``value`` to ``limit`` characters, marking the cut with an ellipsis."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _email(event: Event) -> str | None:
    details = event.get("details")
    candidates = (event.get("user_name"), details.get("email") if isinstance(details, dict) else None)
    for candidate in candidates:
        if isinstance(candidate, str) and "@" in candidate and " " not in candidate:
            return candidate
    return None


def _scope(value: object) -> list[str] | None:
    if isinstance(value, str):
        parts = value.split()
        return parts or None
    if isinstance(value, list):
        parts = [str(part) for part in value if part is not None]
        return parts or None
    return None


def error_fields(event: Event, log_type: LogType) -> tuple[str, str]:
    """``(error.type, error.message)`` for a failure event."""
    details = event.get("details")
    error: Any = details.get("error") if isinstance(details, dict) else None
    kind: object = None
    message: object = None
    if isinstance(error, dict):
        payload = error.get("payload")
        kind = error.get("type") or (payload.get("code") if isinstance(payload, dict) else None)
        message = error.get("message")
    elif isinstance(error, str):
        message = error
    if not isinstance(kind, str) or not kind:
        kind = log_type.code
    if not isinstance(message, str) or not message:
        message = str(event.get("description") or log_type.label)
    return kind, message


def log_attributes(event: Event, log_type: LogType, max_length: int) -> dict[str, AttributeValue]:
    """All attributes of the log record for ``event``."""
    attributes: dict[str, AttributeValue] = {
        "auth0.log.type": log_type.code,
        "auth0.log.category": log_type.category,
        "auth0.log.outcome": log_type.outcome,
        "auth0.log.type_label": log_type.label,
    }
    log_id = event.get("log_id")
    if isinstance(log_id, str):
        attributes["auth0.log.id"] = log_id
    for field, name in _STRING_FIELDS:
        value = event.get(field)
        if isinstance(value, str) and value:
            attributes[name] = cap(value, max_length)
    user_id = event.get("user_id")
    if isinstance(user_id, str) and user_id:
        attributes["enduser.id"] = cap(user_id, max_length)
    email = _email(event)
    if email:
        attributes["user.email"] = cap(email, max_length)
    scope = _scope(event.get("scope"))
    if scope:
        attributes["auth0.scope"] = [cap(part, max_length) for part in scope]
    mobile = event.get("isMobile", event.get("is_mobile"))
    if isinstance(mobile, bool):
        attributes["auth0.is_mobile"] = mobile
    references = event.get("references")
    if isinstance(references, dict) and isinstance(references.get("correlation_id"), str):
        attributes["auth0.correlation.id"] = cap(references["correlation_id"], max_length)
    _details_attributes(event, attributes, max_length)
    location = event.get("location_info")
    if isinstance(location, dict):
        for field, name in _LOCATION_FIELDS:
            value = location.get(field)
            if isinstance(value, str) and value:
                attributes[name] = cap(value, max_length)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                attributes[name] = float(value)
    if log_type.outcome == "failure":
        kind, message = error_fields(event, log_type)
        attributes["error.type"] = cap(kind, max_length)
        attributes["error.message"] = cap(message, max_length)
    if log_type.rate_limit:
        attributes["auth0.rate_limit"] = True
    return attributes


def _details_attributes(event: Event, attributes: dict[str, AttributeValue], max_length: int) -> None:
    details = event.get("details")
    if details is None:
        return
    if isinstance(details, dict):
        for field, name in (("transaction_id", "auth0.transaction.id"), ("session_id", "auth0.session.id")):
            value = details.get(field)
            if isinstance(value, str) and value:
                attributes[name] = cap(value, max_length)
        limit = details.get("limit")
        if isinstance(limit, dict) and isinstance(limit.get("bucket"), str):
            attributes["auth0.rate_limit.bucket"] = cap(limit["bucket"], max_length)
    encoded = json.dumps(details, separators=(",", ":"), ensure_ascii=False, default=str)
    if len(encoded) > max_length:
        attributes["auth0.details.truncated"] = True
    attributes["auth0.details"] = cap(encoded, max_length)
