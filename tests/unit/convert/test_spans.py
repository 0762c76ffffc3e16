"""Traces from events: deterministic ids, transaction grouping, timing, prompts, status, span modes."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from otel_auth0.config import TelemetryConfig
from otel_auth0.convert.events import normalize_event
from otel_auth0.convert.mapping import EventConverter
from otel_auth0.convert.spans import transaction_trace_id
from tests.support.decoded import attrs, log_of, spans_of

TENANT = "acme"
MS = 1_000_000
INITIATED_MS = 1_635_908_818_831
DATE = "2021-11-03T03:25:28.923Z"
DATE_NS = 1_635_909_928_923 * MS


def event(log_id: str, type_: str = "f", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "log_id": log_id,
        "type": type_,
        "date": DATE,
        "description": "Wrong email or password.",
        "ip": "203.0.113.9",
        "user_name": "ada@example.com",
        "tenant_name": TENANT,
    }
    base.update(fields)
    return base


def transaction_events(transaction_id: str) -> list[dict[str, Any]]:
    """The events of one authentication transaction: code sent, failed attempts, then success."""
    details = {"transaction_id": transaction_id}
    return [
        event(f"{transaction_id}-1", "cls", details=dict(details)),
        event(f"{transaction_id}-2", "fp", details=dict(details)),
        event(f"{transaction_id}-3", "fu", details=dict(details)),
        event(f"{transaction_id}-4", "f", details=dict(details)),
        event(
            f"{transaction_id}-5", "s", details={**details, "initiatedAt": INITIATED_MS, "elapsedTime": 900}
        ),
    ]


def convert(converter: EventConverter, raw: dict[str, Any]) -> tuple[Any, list[Span]]:
    converted = converter.convert(normalize_event(raw), 0)
    return log_of(converted), spans_of(converted)


@settings(max_examples=25, deadline=None)
@given(order=st.permutations(range(10)), cut=st.integers(min_value=0, max_value=10))
def test_events_of_a_transaction_share_one_trace_across_order_batches_and_restarts(
    order: list[int], cut: int
) -> None:
    events = transaction_events("tx-A") + transaction_events("tx-B")
    shuffled = [events[index] for index in order]
    before_restart, after_restart = EventConverter(tenant=TENANT), EventConverter(tenant=TENANT)
    traces: dict[str, set[bytes]] = {"tx-A": set(), "tx-B": set()}
    span_ids = set()
    for position, raw in enumerate(shuffled):
        converter = before_restart if position < cut else after_restart
        record, spans = convert(converter, raw)
        assert spans and record.trace_id == spans[0].trace_id and record.span_id == spans[0].span_id
        traces[raw["details"]["transaction_id"]].add(record.trace_id)
        span_ids.add(record.span_id)
    assert traces["tx-A"] == {transaction_trace_id(TENANT, "tx-A")}
    assert traces["tx-B"] == {transaction_trace_id(TENANT, "tx-B")}
    assert len(span_ids) == len(events)


def test_another_tenant_or_replica_configuration_changes_nothing_but_the_tenant_seed() -> None:
    raw = transaction_events("tx-1")[1]
    first, _ = convert(EventConverter(tenant=TENANT), raw)
    replica, _ = convert(
        EventConverter(tenant=TENANT, telemetry=TelemetryConfig(max_attribute_length=100)), raw
    )
    other_tenant, _ = convert(EventConverter(tenant="other"), raw)
    from_event, _ = convert(EventConverter(), raw)
    assert first.trace_id == replica.trace_id == from_event.trace_id
    assert first.span_id == replica.span_id
    assert other_tenant.trace_id != first.trace_id


def test_references_trace_id_is_honoured_and_invalid_ones_are_ignored() -> None:
    converter = EventConverter(tenant=TENANT)
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    details = {"transaction_id": "tx-9"}
    record, spans = convert(converter, event("a", details=details, references={"trace_id": trace}))
    assert record.trace_id.hex() == trace == spans[0].trace_id.hex()
    for invalid in ("0" * 32, "4bf92f35", "zz" * 16, 42):
        record, spans = convert(converter, event("b", details=details, references={"trace_id": invalid}))
        assert record.trace_id == transaction_trace_id(TENANT, "tx-9")
    # Without a transaction or timing the W3C id alone makes the event part of a trace.
    record, spans = convert(converter, event("c", references={"trace_id": trace}))
    assert spans and record.trace_id.hex() == trace


def test_a_resent_event_keeps_its_span_id_and_different_events_differ() -> None:
    raw = transaction_events("tx-1")[0]
    first, _ = convert(EventConverter(tenant=TENANT), raw)
    again, _ = convert(EventConverter(tenant=TENANT), copy.deepcopy(raw))
    other, _ = convert(EventConverter(tenant=TENANT), {**raw, "log_id": "another"})
    assert first.span_id == again.span_id != other.span_id
    assert len(first.span_id) == 8 and any(first.span_id)


def test_timed_login_gets_its_real_interval_and_prompt_children() -> None:
    details = {
        "initiatedAt": INITIATED_MS,
        "completedAt": INITIATED_MS + 1_110_091,
        "elapsedTime": 1_110_091,
        "prompts": [
            {"name": "prompt-authenticate", "completedAt": INITIATED_MS + 1000, "elapsedTime": None},
            {
                "name": "login",
                "flow": "universal-login",
                "initiatedAt": INITIATED_MS + 12,
                "completedAt": INITIATED_MS + 1_084_914,
                "elapsedTime": 1_084_902,
                "connection": "db",
                "user_name": "ada@example.com",
                "performed_amr": ["pwd"],
            },
            {"name": "consent"},
            {"name": "weird name!", "initiatedAt": INITIATED_MS + 5, "elapsedTime": 7},
        ],
    }
    record, spans = convert(EventConverter(tenant=TENANT), event("s-1", "s", details=details))
    parent, children = spans[0], spans[1:]
    assert parent.name == "auth0.log.s"
    assert parent.kind == Span.SPAN_KIND_SERVER
    assert parent.start_time_unix_nano == INITIATED_MS * MS
    assert parent.end_time_unix_nano - parent.start_time_unix_nano == 1_110_091 * MS
    assert parent.status.code == Status.STATUS_CODE_UNSET
    assert [child.name for child in children] == [
        "auth0.prompt.prompt-authenticate",
        "auth0.prompt.login",
        "auth0.prompt.other",
    ]
    authenticate, login, odd = children
    assert authenticate.start_time_unix_nano == authenticate.end_time_unix_nano == (INITIATED_MS + 1000) * MS
    assert login.end_time_unix_nano - login.start_time_unix_nano == 1_084_902 * MS
    assert odd.end_time_unix_nano - odd.start_time_unix_nano == 7 * MS
    assert {child.parent_span_id for child in children} == {parent.span_id}
    assert len({child.span_id for child in spans}) == len(spans)
    login_attributes = attrs(login)
    assert login_attributes["auth0.prompt.flow"] == "universal-login"
    assert login_attributes["auth0.connection"] == "db"
    assert login_attributes["auth0.prompt.performed_amr"] == ["pwd"]
    assert "user.name" not in login_attributes
    assert "auth0.details" not in attrs(parent) and "auth0.details" in attrs(record)


def test_elapsed_time_alone_ends_at_the_event_date() -> None:
    _record, spans = convert(EventConverter(tenant=TENANT), event("s-2", "ssa", details={"elapsedTime": 250}))
    assert spans[0].end_time_unix_nano == DATE_NS
    assert spans[0].end_time_unix_nano - spans[0].start_time_unix_nano == 250 * MS


def test_times_beyond_the_otlp_range_fall_back_to_the_event_date() -> None:
    beyond = {"completedAt": 18446744073710.0}  # ms: just past 2**64 - 1 ns, the last OTLP time
    too_long = {"initiatedAt": 18446744073709.0, "elapsedTime": 5000}
    for index, details in enumerate((beyond, too_long, {"transaction_id": "t", **beyond})):
        _record, spans = convert(EventConverter(tenant=TENANT), event(f"x-{index}", "s", details=details))
        for span in spans:
            assert span.end_time_unix_nano in (DATE_NS, 18446744073709 * MS)
            assert span.start_time_unix_nano <= span.end_time_unix_nano


def test_failure_span_has_error_status_with_the_description() -> None:
    _record, spans = convert(
        EventConverter(tenant=TENANT), event("f-1", "fp", details={"transaction_id": "t"})
    )
    assert spans[0].status.code == Status.STATUS_CODE_ERROR
    assert spans[0].status.message == "Wrong email or password."
    assert attrs(spans[0])["error.type"] == "fp"


def test_span_modes() -> None:
    plain = event("x-1", "sapi", ip=None)
    transactional = event("x-2", "f", details={"transaction_id": "t"}, references={"trace_id": "ab" * 16})
    default = EventConverter(tenant=TENANT)
    every = EventConverter(tenant=TENANT, telemetry=TelemetryConfig(spans="all"))
    off = EventConverter(tenant=TENANT, telemetry=TelemetryConfig(spans="none"))

    record, spans = convert(default, plain)
    assert spans == [] and record.trace_id == b"" and record.span_id == b""
    record, spans = convert(every, plain)
    assert len(spans) == 1 and spans[0].kind == Span.SPAN_KIND_INTERNAL
    assert spans[0].start_time_unix_nano == spans[0].end_time_unix_nano == DATE_NS
    record, spans = convert(off, transactional)
    assert spans == [] and record.trace_id.hex() == "ab" * 16 and record.span_id == b""


def test_unknown_codes_share_one_span_name() -> None:
    _, spans = convert(
        EventConverter(tenant=TENANT), event("u-1", "brand_new_code", details={"transaction_id": "t"})
    )
    assert spans[0].name == "auth0.log.unknown"
    assert attrs(spans[0])["auth0.log.type"] == "brand_new_code"


def test_events_without_log_id_get_content_derived_ids() -> None:
    converter = EventConverter(tenant=TENANT, telemetry=TelemetryConfig(spans="all"))
    raw = {"type": "sapi", "date": DATE, "description": "Update a client"}
    first, _ = convert(converter, raw)
    again, _ = convert(converter, dict(raw))
    other, _ = convert(converter, {**raw, "description": "Delete a client"})
    assert first.span_id == again.span_id != other.span_id
    assert first.trace_id == again.trace_id != other.trace_id
