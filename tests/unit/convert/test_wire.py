"""Pre-framed records concatenate into valid OTLP requests."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otel_auth0.convert import wire
from otel_auth0.convert.wire import Signal, build_request, encode_resource, encode_scope, frame_record, varint


def test_varint_matches_protobuf() -> None:
    assert varint(0) == b"\x00"
    assert varint(300) == b"\xac\x02"
    assert varint(2**35) == b"\x80\x80\x80\x80\x80\x01"


def test_logs_request_round_trips() -> None:
    records = b"".join(
        frame_record(Signal.LOGS, LogRecord(time_unix_nano=i, event_name=f"e{i}").SerializeToString())
        for i in range(3)
    )
    body = build_request(
        Signal.LOGS,
        encode_resource({"service.name": "auth0", "n": 1}),
        [(encode_scope("a", "1"), records), (encode_scope("b", "1"), records[:0])],
    )
    request = ExportLogsServiceRequest.FromString(body)
    (resource_logs,) = request.resource_logs
    assert resource_logs.resource.attributes[0].value.string_value == "auth0"
    assert [scope.scope.name for scope in resource_logs.scope_logs] == ["a", "b"]
    assert [r.event_name for r in resource_logs.scope_logs[0].log_records] == ["e0", "e1", "e2"]


def test_spans_request_round_trips() -> None:
    span = Span(trace_id=b"t" * 16, span_id=b"s" * 8, name="auth0.login")
    body = build_request(
        Signal.SPANS,
        encode_resource({}),
        [(encode_scope("x", "1"), frame_record(Signal.SPANS, span.SerializeToString()))],
    )
    decoded = ExportTraceServiceRequest.FromString(body)
    assert decoded.resource_spans[0].scope_spans[0].spans[0].name == "auth0.login"


def test_key_values_interns_string_pairs_without_changing_the_encoding() -> None:
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    from otel_auth0.convert import wire

    attributes = {"a": "x", "b": True, "c": 1, "d": 1.5, "e": ["p", "q"], "f": "x"}
    expected = LogRecord(
        attributes=[
            KeyValue(key="a", value=AnyValue(string_value="x")),
            KeyValue(key="b", value=AnyValue(bool_value=True)),
            KeyValue(key="c", value=AnyValue(int_value=1)),
            KeyValue(key="d", value=AnyValue(double_value=1.5)),
            KeyValue(key="e", value=wire.any_value(["p", "q"])),
            KeyValue(key="f", value=AnyValue(string_value="x")),
        ]
    ).SerializeToString()
    for _ in range(2):  # built, then interned
        assert LogRecord(attributes=wire.key_values(attributes)).SerializeToString() == expected
    assert wire.key_values({"a": "x"})[0] is wire.key_values({"a": "x"})[0]
    for index in range(wire.STRING_PAIR_CACHE_SIZE + 10):
        wire.key_values({"k": str(index)})
    assert len(wire._STRING_PAIRS) <= wire.STRING_PAIR_CACHE_SIZE
    assert varint(127) == b"\x7f" and varint(128) == b"\x80\x01"


attribute_values = st.one_of(
    st.text(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.lists(st.text(), max_size=4),
)


@given(st.dictionaries(st.text(min_size=1), attribute_values, max_size=6))
def test_encoded_attributes_equal_protobuf_serialization(attributes: dict[str, object]) -> None:
    encoded = wire.encode_attributes(wire.LOG_ATTRIBUTES_FIELD, attributes)  # type: ignore[arg-type]
    expected = LogRecord(attributes=wire.key_values(attributes)).SerializeToString()  # type: ignore[arg-type]
    assert LogRecord.FromString(encoded) == LogRecord.FromString(expected)
    span = Span(name="x").SerializeToString() + wire.encode_attributes(wire.SPAN_ATTRIBUTES_FIELD, attributes)  # type: ignore[arg-type]
    assert Span.FromString(span).attributes == LogRecord.FromString(expected).attributes
