"""Auth0 Event Streams deliveries (CloudEvents 1.0, JSON format) → OpenTelemetry log records.

Auth0's Event Streams push one CloudEvent per user, organization, group or connection lifecycle
change (``user.created``, ``organization.member.added``, ...; docs/telemetry.md lists the catalog). A
record's event name is ``auth0.event.<type>``; the CloudEvents context attributes become the
semantic conventions' ``cloudevents.*`` attributes; the user, organization, group, role and connection
the event is about become the same attributes tenant logs use (``user.id``, ``enduser.id``,
``user.email``, ``auth0.organization.id``, ...), so redaction and queries treat both sources alike.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Final

from otel_auth0.convert import messages
from otel_auth0.convert.attributes import cap, cap_attributes, compact_json, text_value
from otel_auth0.convert.events import Event, parse_time_ns
from otel_auth0.convert.redaction import Redactor
from otel_auth0.convert.wire import (
    LOG_ATTRIBUTES_FIELD,
    AttributeValue,
    EncodedAttributes,
    Signal,
    frame_record,
)

SCOPE: Final = "otel_auth0.auth0_events"
SOURCE: Final = "event_streams"  # detection rules' ``match.source``
EVENT_NAME_PREFIX: Final = "auth0.event."
# Older Auth0 documentation shows reverse-DNS types (``com.auth0.user.created``); deliveries use bare ones.
TYPE_PREFIX: Final = "com.auth0."
KEY_PREFIX: Final = "auth0.event:"
REQUIRED: Final = ("id", "source", "specversion", "type")
SEVERITY_INFO: Final = (9, "INFO")

# Auth0's event-type catalog (Management API ``EventStreamEventTypeEnum``); other types are mapped too.
EVENT_TYPES: Final = (
    "user.created",
    "user.updated",
    "user.deleted",
    "organization.created",
    "organization.updated",
    "organization.deleted",
    "organization.member.added",
    "organization.member.deleted",
    "organization.member.role.assigned",
    "organization.member.role.deleted",
    "organization.connection.added",
    "organization.connection.updated",
    "organization.connection.removed",
    "organization.group.role.assigned",
    "organization.group.role.deleted",
    "group.created",
    "group.updated",
    "group.deleted",
    "group.member.added",
    "group.member.deleted",
    "group.role.assigned",
    "group.role.deleted",
    "connection.created",
    "connection.updated",
    "connection.deleted",
)

DATA_KEY: Final = "auth0.event.data"
# Every attribute key an Event Streams record can carry (docs/telemetry.md documents each one).
CLOUDEVENT_ATTRIBUTE_KEYS: Final = frozenset(
    {
        "cloudevents.event_id",
        "cloudevents.event_source",
        "cloudevents.event_spec_version",
        "cloudevents.event_type",
        "cloudevents.event_subject",
        "auth0.event.type",
        "auth0.event_stream.id",
        "auth0.tenant.name",
        "user.id",
        "enduser.id",
        "user.email",
        "user.name",
        "auth0.connection",
        "auth0.connection.id",
        "auth0.organization.id",
        "auth0.organization.name",
        "auth0.group.id",
        "auth0.group.name",
        "auth0.role.id",
        "auth0.role.name",
        DATA_KEY,
    }
)


class CloudEventError(ValueError):
    """An item that is not a CloudEvent; ``str()`` names the problem."""


def looks_like_auth0_log(item: Mapping[str, Any]) -> bool:
    """A Log Stream item (``{"log_id", "data"}``) or a tenant-log event (short ``type`` code, ``date``)."""
    if "log_id" in item or "_id" in item:
        return True
    data = item.get("data")
    if isinstance(data, dict) and "log_id" in data:
        return True
    event_type = item.get("type")
    return (
        isinstance(event_type, str) and "." not in event_type and "date" in item and "specversion" not in item
    )


def validate(item: object, index: int | None = None) -> Event:
    """``item`` as a CloudEvent (``specversion`` 1.x with non-empty ``id``, ``source``, ``type``);
    :class:`CloudEventError` naming the problem otherwise (an Auth0 log item is told where it belongs)."""
    where = f"item {index}: " if index is not None else ""
    if not isinstance(item, dict):
        raise CloudEventError(f"{where}expected a CloudEvent JSON object, got {type(item).__name__}")
    if looks_like_auth0_log(item):
        raise CloudEventError(
            f"{where}this is an Auth0 tenant log item (Log Streams), not a CloudEvent: send Log Stream "
            "deliveries to the log_stream receiver's path, Event Streams deliveries here"
        )
    event = dict(item)
    if "specversion" not in event and isinstance(event.get("spec_version"), str):
        event["specversion"] = event.pop("spec_version")
    missing = [name for name in REQUIRED if not isinstance(event.get(name), str) or not event[name]]
    if missing:
        raise CloudEventError(
            f"{where}not a CloudEvent: missing or empty {', '.join(missing)} (CloudEvents 1.0 requires "
            "id, source, specversion and type)"
        )
    if not str(event["specversion"]).startswith("1."):
        raise CloudEventError(f"{where}unsupported CloudEvents specversion {event['specversion']!r}")
    return event


def event_type(event: Mapping[str, Any]) -> str:
    """The Auth0 event type (``user.created``), without a ``com.auth0.`` prefix."""
    return str(event.get("type", "")).removeprefix(TYPE_PREFIX)


def dedupe_key(event: Mapping[str, Any]) -> str:
    """The queue's dedupe key of an event: Auth0 redelivers an event with the same ``id``."""
    return f"{KEY_PREFIX}{event['id']}"


def _set(attributes: dict[str, AttributeValue], name: str, value: object) -> None:
    text = text_value(value)
    if text:
        attributes.setdefault(name, text)


def _user(attributes: dict[str, AttributeValue], user: Mapping[str, Any]) -> None:
    user_id = user.get("user_id", user.get("id"))
    _set(attributes, "user.id", user_id)
    _set(attributes, "enduser.id", user_id)
    email = user.get("email")
    if isinstance(email, str) and "@" in email:
        attributes.setdefault("user.email", email)
    _set(attributes, "user.name", user.get("username") or user.get("name") or user.get("nickname"))
    identities = user.get("identities")
    if isinstance(identities, list) and identities and isinstance(identities[0], dict):
        _set(attributes, "auth0.connection", identities[0].get("connection"))


def _named(attributes: dict[str, AttributeValue], kind: str, value: object) -> None:
    """``auth0.<kind>.id`` / ``.name`` of an object (a dict) or an id (a string)."""
    if isinstance(value, dict):
        _set(attributes, f"auth0.{kind}.id", value.get("id"))
        _set(attributes, f"auth0.{kind}.name", value.get("name"))
    else:
        _set(attributes, f"auth0.{kind}.id", value)


def subject_attributes(kind: str, data: object) -> dict[str, AttributeValue]:
    """The user, organization, group, role and connection an event of ``kind`` (``user``,
    ``organization``, ``group``, ``connection``) is about, from its ``data.object``."""
    attributes: dict[str, AttributeValue] = {}
    target = data.get("object") if isinstance(data, dict) else None
    if not isinstance(target, dict):
        return attributes
    if kind == "user":
        _user(attributes, target)
    elif kind in ("organization", "group"):
        _named(attributes, kind, target if "organization" not in target and "group" not in target else None)
    elif kind == "connection":
        _set(attributes, "auth0.connection.id", target.get("id"))
        _set(attributes, "auth0.connection", target.get("name"))
    for key in ("organization", "group", "role"):
        if key in target:
            _named(attributes, key, target[key])
    for key in ("user", "member"):
        if isinstance(target.get(key), dict):
            _user(attributes, target[key])
        elif key == "user" and target.get("user_id"):
            _user(attributes, target)
    connection = target.get("connection")
    if isinstance(connection, dict):
        _set(attributes, "auth0.connection.id", connection.get("id", connection.get("connection_id")))
        _set(attributes, "auth0.connection", connection.get("name"))
    return attributes


def cloudevent_attributes(event: Mapping[str, Any]) -> dict[str, AttributeValue]:
    """Every attribute of the record for ``event`` (validated), uncapped."""
    kind = event_type(event)
    attributes: dict[str, AttributeValue] = {
        "cloudevents.event_id": str(event["id"]),
        "cloudevents.event_source": str(event["source"]),
        "cloudevents.event_spec_version": str(event["specversion"]),
        "cloudevents.event_type": str(event["type"]),
        "auth0.event.type": kind,
    }
    _set(attributes, "cloudevents.event_subject", event.get("subject"))
    _set(attributes, "auth0.event_stream.id", event.get("a0stream"))
    _set(attributes, "auth0.tenant.name", event.get("a0tenant"))
    attributes.update(
        {
            k: v
            for k, v in subject_attributes(kind.split(".", 1)[0], event.get("data")).items()
            if k not in attributes
        }
    )
    if "data" in event:
        attributes[DATA_KEY] = compact_json(event["data"])
    return attributes


def _trace_context(event: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """Trace and span id of the CloudEvents distributed-tracing extension (``traceparent``), if valid."""
    parent = event.get("traceparent")
    if not isinstance(parent, str):
        return b"", b""
    parts = parent.split("-")
    if len(parts) != 4 or len(parts[1]) != 32 or len(parts[2]) != 16:
        return b"", b""
    try:
        trace_id, span_id = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
    except ValueError:
        return b"", b""
    return (trace_id, span_id) if any(trace_id) and any(span_id) else (b"", b"")


def convert(
    event: Event, max_length: int, redactor: Redactor | None = None, observed_ns: int | None = None
) -> bytes:
    """The framed log record of one validated CloudEvent."""
    observed = observed_ns if observed_ns is not None else time.time_ns()
    event_ns = parse_time_ns(event.get("time"))
    attributes = cloudevent_attributes(event)
    kind = str(attributes["auth0.event.type"])
    subject = (
        attributes.get("user.id")
        or attributes.get("auth0.organization.id")
        or attributes.get("auth0.group.id")
    )
    body: str | None = f"{kind} {subject}" if isinstance(subject, str) else kind
    if redactor is not None:
        redaction = redactor.begin(attributes, body)
        attributes = redaction.attributes(attributes)
        body = redaction.text(body) if body is not None else None
    attributes = cap_attributes(attributes, max_length)
    trace_id, span_id = _trace_context(event)
    record = messages.log_record(
        time_ns=event_ns or observed,
        observed_ns=observed,
        severity_number=SEVERITY_INFO[0],
        severity_text=SEVERITY_INFO[1],
        event_name=f"{EVENT_NAME_PREFIX}{kind}",
        body=cap(body, max_length) if body is not None else None,
        trace_id=trace_id,
        span_id=span_id,
    )
    encoded = EncodedAttributes(attributes)
    return frame_record(Signal.LOGS, record + encoded.field(LOG_ATTRIBUTES_FIELD))


def observed_view(event: Mapping[str, Any]) -> dict[str, Any]:
    """What detection rules see of a CloudEvent (``match.source: event_streams``): the event with its
    bare ``type``, its ``id`` as ``log_id`` (the detection's contributing ids) and ``user_id``."""
    view = dict(event)
    view["type"] = event_type(event)
    view["log_id"] = str(event["id"])
    user = subject_attributes(view["type"].split(".", 1)[0], event.get("data")).get("user.id")
    if user is not None:
        view["user_id"] = user
    return view
