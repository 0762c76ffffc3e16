"""The OTLP/gRPC services of the test receiver."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import grpc
from google.protobuf import duration_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from tests.otlp_receiver.records import (
    ExportRejected,
)

if TYPE_CHECKING:
    from tests.otlp_receiver.receiver import OtlpReceiver


def _grpc_export(
    receiver: OtlpReceiver, signal_name: str, request: Message, context: grpc.ServicerContext
) -> Message:
    started = time.perf_counter()
    try:
        receiver._admit()
    except ExportRejected as rejected:
        if rejected.retry_after is not None:
            delay = duration_pb2.Duration()
            delay.FromNanoseconds(int(rejected.retry_after * 1e9))
            info = error_details_pb2.RetryInfo(retry_delay=delay)
            context.set_trailing_metadata((("google.rpc.retryinfo-bin", info.SerializeToString()),))
        context.abort(grpc.StatusCode.UNAVAILABLE, str(rejected))
    if receiver._refused(signal_name, request):
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "refused by the test receiver")
    receiver._ingest(signal_name, "grpc", request, request.ByteSize(), started)
    return receiver._response(signal_name)


class _LogsServicer(logs_service_pb2_grpc.LogsServiceServicer):
    def __init__(self, receiver: OtlpReceiver) -> None:
        self._receiver = receiver

    def Export(self, request: Message, context: grpc.ServicerContext) -> Message:
        return _grpc_export(self._receiver, "logs", request, context)


class _TraceServicer(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, receiver: OtlpReceiver) -> None:
        self._receiver = receiver

    def Export(self, request: Message, context: grpc.ServicerContext) -> Message:
        return _grpc_export(self._receiver, "traces", request, context)


class _MetricsServicer(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, receiver: OtlpReceiver) -> None:
        self._receiver = receiver

    def Export(self, request: Message, context: grpc.ServicerContext) -> Message:
        return _grpc_export(self._receiver, "metrics", request, context)


# -- HTTP ----------------------------------------------------------------------------------
