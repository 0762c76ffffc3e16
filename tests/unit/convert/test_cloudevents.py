"""Auth0 Event Streams CloudEvents → log records (convert/cloudevents.py through EventConverter)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from otel_auth0.config import RedactConfig
from otel_auth0.convert.cloudevents import (
    CLOUDEVENT_ATTRIBUTE_KEYS,
    CloudEventError,
    cloudevent_attributes,
    observed_view,
    validate,
)
from otel_auth0.convert.mapping import EventConverter
from otel_auth0.processors.redact import build_redactor
from tests.support.decoded import attrs, log_of

TELEMETRY_DOC = Path(__file__).parents[3] / "docs" / "telemetry.md"
# The shape of Auth0's documented webhook example (values ours).
USER_CREATED: dict[str, Any] = {
    "id": "evt_6SfwXrtm8nVcjzzNCFFH1L",
    "source": "urn:auth0:acme.us.auth0.com",
    "specversion": "1.0",
    "type": "user.created",
    "time": "2026-02-02T17:56:01.573Z",
    "data": {
        "object": {
            "created_at": "2026-02-02T17:56:01.566Z",
            "email": "ada@example.com",
            "email_verified": False,
            "identities": [
                {"connection": "Username-Password-Authentication", "isSocial": False, "provider": "auth0"}
            ],
            "name": "ada@example.com",
            "nickname": "ada",
            "user_id": "auth0|679fb1b1e809445f129bc18d",
        }
    },
    "a0tenant": "acme",
    "a0stream": "est_38ANnv8pQhqsZrX2VFbftv",
}


def test_user_created_becomes_a_record_named_by_its_type_with_cloudevents_attributes() -> None:
    converted = EventConverter("acme").convert_cloud_event(validate(USER_CREATED), observed_ns=1)
    record = log_of(converted)
    values = attrs(record)
    assert converted.key == "auth0.event:evt_6SfwXrtm8nVcjzzNCFFH1L"
    assert record.event_name == "auth0.event.user.created"
    assert record.time_unix_nano == 1_770_054_961_573_000_000
    assert record.observed_time_unix_nano == 1
    assert record.severity_text == "INFO"
    assert record.body.string_value == "user.created auth0|679fb1b1e809445f129bc18d"
    assert values["cloudevents.event_id"] == "evt_6SfwXrtm8nVcjzzNCFFH1L"
    assert values["cloudevents.event_source"] == "urn:auth0:acme.us.auth0.com"
    assert values["cloudevents.event_spec_version"] == "1.0"
    assert values["cloudevents.event_type"] == "user.created"
    assert "cloudevents.event_subject" not in values
    assert values["auth0.event.type"] == "user.created"
    assert values["auth0.tenant.name"] == "acme"
    assert values["auth0.event_stream.id"] == "est_38ANnv8pQhqsZrX2VFbftv"
    assert values["user.id"] == values["enduser.id"] == "auth0|679fb1b1e809445f129bc18d"
    assert values["user.email"] == "ada@example.com"
    assert values["user.name"] == "ada@example.com"
    assert values["auth0.connection"] == "Username-Password-Authentication"
    assert '"nickname":"ada"' in values["auth0.event.data"]


def test_redaction_applies_to_the_attributes_the_body_and_the_data() -> None:
    redactor = build_redactor(RedactConfig(fields=["user.email", "user.id", "enduser.id"], method="mask"))
    record = log_of(EventConverter("acme", redactor=redactor).convert_cloud_event(validate(USER_CREATED)))
    values = attrs(record)
    assert values["user.email"] == values["user.id"] == "****"
    assert "ada@example.com" not in str(values) and "679fb1b1e809445f129bc18d" not in str(values)
    assert "679fb1b1e809445f129bc18d" not in record.body.string_value


@pytest.mark.parametrize(
    ("event_type", "obj", "expected"),
    [
        (
            "organization.created",
            {"id": "org_1", "name": "acme-corp", "display_name": "Acme"},
            {"auth0.organization.id": "org_1", "auth0.organization.name": "acme-corp"},
        ),
        (
            "organization.member.added",
            {"organization": {"id": "org_1", "name": "acme-corp"}, "user": {"user_id": "auth0|7"}},
            {"auth0.organization.id": "org_1", "user.id": "auth0|7", "enduser.id": "auth0|7"},
        ),
        (
            "organization.member.role.assigned",
            {
                "organization": {"id": "org_1"},
                "user": {"user_id": "auth0|7"},
                "role": {"id": "rol_1", "name": "admin"},
            },
            {
                "auth0.organization.id": "org_1",
                "user.id": "auth0|7",
                "auth0.role.id": "rol_1",
                "auth0.role.name": "admin",
            },
        ),
        (
            "group.member.added",
            {"group": {"id": "grp_1", "name": "ops"}, "member": {"user_id": "auth0|8"}},
            {"auth0.group.id": "grp_1", "auth0.group.name": "ops", "user.id": "auth0|8"},
        ),
        (
            "group.deleted",
            {"id": "grp_2", "name": "old"},
            {"auth0.group.id": "grp_2", "auth0.group.name": "old"},
        ),
        (
            "connection.updated",
            {"id": "con_1", "name": "google-oauth2"},
            {"auth0.connection.id": "con_1", "auth0.connection": "google-oauth2"},
        ),
        ("user.deleted", {"user_id": "auth0|9"}, {"user.id": "auth0|9"}),
    ],
)
def test_subjects_of_lifecycle_events_become_the_attributes_tenant_logs_use(
    event_type: str, obj: dict[str, Any], expected: dict[str, str]
) -> None:
    event = {**USER_CREATED, "type": event_type, "data": {"object": obj}}
    values = cloudevent_attributes(validate(event))
    assert {key: values.get(key) for key in expected} == expected
    assert values["auth0.event.type"] == event_type


def test_reverse_dns_types_subject_and_traceparent() -> None:
    event = {
        **USER_CREATED,
        "type": "com.auth0.user.updated",
        "subject": "auth0|679fb1b1e809445f129bc18d",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    }
    record = log_of(EventConverter().convert_cloud_event(validate(event)))
    values = attrs(record)
    assert record.event_name == "auth0.event.user.updated"
    assert values["cloudevents.event_type"] == "com.auth0.user.updated"
    assert values["cloudevents.event_subject"] == "auth0|679fb1b1e809445f129bc18d"
    assert record.trace_id.hex() == "0af7651916cd43dd8448eb211c80319c"
    assert record.span_id.hex() == "b7ad6b7169203331"


def test_the_older_spec_version_key_is_accepted() -> None:
    event = {key: value for key, value in USER_CREATED.items() if key != "specversion"}
    assert validate({**event, "spec_version": "1.0"})["specversion"] == "1.0"


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ([USER_CREATED], "expected a CloudEvent JSON object, got list"),
        ({"log_id": "900", "data": {"type": "s"}}, "Auth0 tenant log item"),
        ({"type": "s", "date": "2026-01-01T00:00:00Z", "description": "x"}, "Auth0 tenant log item"),
        ({"id": "evt_1", "type": "user.created"}, "missing or empty source, specversion"),
        ({**USER_CREATED, "id": ""}, "missing or empty id"),
        ({**USER_CREATED, "specversion": "0.3"}, "unsupported CloudEvents specversion '0.3'"),
    ],
)
def test_what_is_not_a_cloudevent_is_refused_naming_the_problem(item: object, problem: str) -> None:
    with pytest.raises(CloudEventError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        validate(item)


def test_detections_see_the_bare_type_the_event_id_and_the_user() -> None:
    view = observed_view(validate({**USER_CREATED, "type": "com.auth0.user.deleted"}))
    assert (view["type"], view["log_id"], view["user_id"]) == (
        "user.deleted",
        "evt_6SfwXrtm8nVcjzzNCFFH1L",
        "auth0|679fb1b1e809445f129bc18d",
    )


def test_values_that_cannot_be_encoded_as_they_are_are_normalised() -> None:
    event = {**USER_CREATED, "data": {"object": {"user_id": "auth0|\ud800", "n": 2**70}}}
    values = attrs(log_of(EventConverter().convert_cloud_event(validate(event))))
    assert values["user.id"] == "auth0|\ufffd"


@pytest.mark.parametrize("key", sorted(CLOUDEVENT_ATTRIBUTE_KEYS))
def test_every_attribute_is_documented(key: str) -> None:
    assert f"`{key}`" in TELEMETRY_DOC.read_text(encoding="utf-8")
