"""Retry classification as the OTLP specification says, for HTTP statuses and gRPC codes."""

from __future__ import annotations

import logging
from email.utils import formatdate

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from otel_auth0.convert.wire import Signal
from otel_auth0.exporters.base import ExportOutcome, ExportResult
from otel_auth0.exporters.otlp_outcomes import (
    accepted,
    grpc_result,
    grpc_retry_delay,
    http_result,
    log_unaccepted,
    retry_after_seconds,
)

FAILED, REJECTED = ExportOutcome.FAILED, ExportOutcome.REJECTED


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(status, FAILED) for status in (429, 502, 503, 504)]
    # About the exporter's setup or the backend, not the records: kept queued and retried.
    + [(status, FAILED) for status in (401, 403, 404, 405, 407, 408, 500, 501, 505)]
    + [(status, REJECTED) for status in (400, 409, 413, 415, 422)],
)
def test_http_statuses(status: int, outcome: ExportOutcome) -> None:
    assert http_result(status, None).outcome is outcome


def test_http_retry_after_is_kept_only_for_retryable_statuses() -> None:
    assert http_result(503, "120") == ExportResult(FAILED, 120.0)
    assert http_result(429, None) == ExportResult(FAILED, None)
    assert http_result(400, "120").retry_after is None


def test_retry_after_forms() -> None:
    now = 1_800_000_000.0
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds(" 2.5 ", now) == 2.5
    assert retry_after_seconds(formatdate(now + 90, usegmt=True), now) == 90.0
    assert retry_after_seconds(formatdate(now - 90, usegmt=True), now) == 0.0
    assert retry_after_seconds("-3", now) == 0.0
    for unreadable in (None, "", "later", "Mon, 99 Foo 2026"):
        assert retry_after_seconds(unreadable, now) is None


def _retry_info(seconds: float) -> bytes:
    delay = duration_pb2.Duration()
    delay.FromNanoseconds(int(seconds * 1e9))
    return error_details_pb2.RetryInfo(retry_delay=delay).SerializeToString()


RETRYABLE = [
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.OUT_OF_RANGE,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DATA_LOSS,
]
SETUP = [
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
]
PERMANENT = [
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
]


@pytest.mark.parametrize("code", RETRYABLE)
def test_grpc_retryable_codes(code: grpc.StatusCode) -> None:
    assert grpc_result(code, ()) == ExportResult(FAILED, None)
    assert grpc_result(code, (("google.rpc.retryinfo-bin", _retry_info(3.5)),)) == ExportResult(FAILED, 3.5)


@pytest.mark.parametrize("code", SETUP)
def test_grpc_setup_refusals_stay_queued(code: grpc.StatusCode) -> None:
    assert grpc_result(code, ()) == ExportResult(FAILED, None)


@pytest.mark.parametrize("code", PERMANENT)
def test_grpc_permanent_codes(code: grpc.StatusCode) -> None:
    assert grpc_result(code, (("google.rpc.retryinfo-bin", _retry_info(1)),)).outcome is REJECTED


def test_resource_exhausted_waits_for_retry_info() -> None:
    exhausted = grpc.StatusCode.RESOURCE_EXHAUSTED
    assert grpc_result(exhausted, (("google.rpc.retryinfo-bin", _retry_info(90)),)) == ExportResult(
        FAILED, 90.0
    )


def test_retry_info_inside_the_rich_status_details() -> None:
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.RetryInfo.FromString(_retry_info(12)))
    status = status_pb2.Status(code=8, message="slow down", details=[detail])
    trailer = (("x-other", "1"), ("grpc-status-details-bin", status.SerializeToString()))
    assert grpc_retry_delay(trailer) == 12.0
    assert grpc_result(grpc.StatusCode.RESOURCE_EXHAUSTED, trailer) == ExportResult(FAILED, 12.0)
    assert grpc_retry_delay((("grpc-status-details-bin", b"\xff\xff"),)) is None


def test_a_full_success_is_plain(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert accepted(Signal.LOGS, ExportLogsServiceResponse(), "backend") == ExportResult(
            ExportOutcome.ACCEPTED
        )
    assert not caplog.records


def test_a_partial_success_is_counted_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    response = ExportTraceServiceResponse()
    response.partial_success.rejected_spans = 3
    response.partial_success.error_message = "3 spans too old"
    with caplog.at_level(logging.WARNING):
        result = accepted(Signal.SPANS, response, "backend")
    assert result == ExportResult(ExportOutcome.ACCEPTED, partially_rejected=3)
    assert [r.getMessage() for r in caplog.records] == [
        "backend accepted the request but dropped 3 spans: 3 spans too old"
    ]


def test_a_warning_without_rejections_is_logged_but_counts_nothing(caplog: pytest.LogCaptureFixture) -> None:
    response = ExportLogsServiceResponse()
    response.partial_success.error_message = "attribute values truncated"
    with caplog.at_level(logging.WARNING):
        assert accepted(Signal.LOGS, response, "backend").partially_rejected == 0
    assert "attribute values truncated" in caplog.text


@pytest.mark.parametrize(
    ("result", "verdict"),
    [(http_result(503, None), "will retry"), (http_result(400, None), "refused for good")],
)
def test_an_unaccepted_export_is_logged_with_its_verdict(
    result: ExportResult, verdict: str, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("otel_auth0.exporters.test")
    with caplog.at_level(logging.WARNING, logger=logger.name):
        log_unaccepted(logger, "OTLP/HTTP export of 3 logs", "http://backend", "HTTP 400", result, "bad")
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        (logger.name, f"OTLP/HTTP export of 3 logs to http://backend: HTTP 400 ({verdict}): bad")
    ]
