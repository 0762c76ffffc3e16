"""Hand-serialized LogRecord and Span headers are byte for byte what opentelemetry-proto writes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from otel_auth0.convert import messages
from otel_auth0.convert.wire import LOG_ATTRIBUTES_FIELD, SPAN_ATTRIBUTES_FIELD, EncodedAttributes

nanos = st.integers(min_value=0, max_value=2**64 - 1)
ids16 = st.one_of(st.just(b""), st.binary(min_size=16, max_size=16))
ids8 = st.one_of(st.just(b""), st.binary(min_size=8, max_size=8))


@given(
    time_ns=nanos,
    observed_ns=nanos,
    severity_number=st.sampled_from([0, 9, 13, 17]),
    severity_text=st.text(max_size=8),
    event_name=st.text(max_size=300),
    body=st.one_of(st.none(), st.text(max_size=300)),
    trace_id=ids16,
    span_id=ids8,
)
def test_log_record_equals_protobuf(
    time_ns: int,
    observed_ns: int,
    severity_number: int,
    severity_text: str,
    event_name: str,
    body: str | None,
    trace_id: bytes,
    span_id: bytes,
) -> None:
    expected = LogRecord(
        time_unix_nano=time_ns,
        observed_time_unix_nano=observed_ns,
        severity_number=severity_number,  # type: ignore[arg-type]
        severity_text=severity_text,
        event_name=event_name,
        trace_id=trace_id,
        span_id=span_id,
    )
    if body is not None:
        expected.body.CopyFrom(AnyValue(string_value=body))
    encoded = messages.log_record(
        time_ns=time_ns,
        observed_ns=observed_ns,
        severity_number=severity_number,
        severity_text=severity_text,
        event_name=event_name,
        body=body,
        trace_id=trace_id,
        span_id=span_id,
    )
    assert encoded == expected.SerializeToString()


@given(
    trace_id=ids16,
    span_id=ids8,
    parent_span_id=ids8,
    name=st.text(max_size=200),
    kind=st.sampled_from([Span.SPAN_KIND_UNSPECIFIED, Span.SPAN_KIND_INTERNAL, Span.SPAN_KIND_SERVER]),
    start_ns=nanos,
    end_ns=nanos,
    error_message=st.one_of(st.none(), st.text(max_size=200)),
)
def test_span_equals_protobuf(
    trace_id: bytes,
    span_id: bytes,
    parent_span_id: bytes,
    name: str,
    kind: int,
    start_ns: int,
    end_ns: int,
    error_message: str | None,
) -> None:
    expected = Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_span_id,
        name=name,
        kind=kind,  # type: ignore[arg-type]
        start_time_unix_nano=start_ns,
        end_time_unix_nano=end_ns,
    )
    if error_message is not None:
        expected.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message=error_message))
    encoded = messages.span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_span_id,
        name=name,
        kind=kind,
        start_ns=start_ns,
        end_ns=end_ns,
        error_message=error_message,
    )
    assert encoded == expected.SerializeToString()


def test_one_encoding_serves_the_log_record_and_the_span_without_some_keys() -> None:
    attributes = {"auth0.log.id": "90020", "auth0.details": "{}", "flag": True, "n": 1}
    encoded = EncodedAttributes(attributes)
    record = LogRecord.FromString(encoded.field(LOG_ATTRIBUTES_FIELD))
    assert [pair.key for pair in record.attributes] == list(attributes)
    span = Span.FromString(encoded.field(SPAN_ATTRIBUTES_FIELD, without={"auth0.details"}))
    assert [pair.key for pair in span.attributes] == ["auth0.log.id", "flag", "n"]
    assert span.attributes[1].value.bool_value is True and span.attributes[2].value.int_value == 1
    assert EncodedAttributes({}).field(LOG_ATTRIBUTES_FIELD) == b""


def test_interned_booleans_stay_apart_from_equal_integers() -> None:
    first = LogRecord.FromString(EncodedAttributes({"x": True}).field(LOG_ATTRIBUTES_FIELD))
    second = LogRecord.FromString(EncodedAttributes({"x": 1}).field(LOG_ATTRIBUTES_FIELD))
    assert first.attributes[0].value.WhichOneof("value") == "bool_value"
    assert second.attributes[0].value.WhichOneof("value") == "int_value"
