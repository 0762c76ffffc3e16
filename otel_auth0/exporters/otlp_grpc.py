"""OTLP/gRPC: the queue's pre-encoded requests sent through the generated stubs of
``opentelemetry-proto`` on a ``grpc`` channel."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, cast

import grpc
from opentelemetry.proto.collector.logs.v1.logs_service_pb2_grpc import LogsServiceStub
from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub

from otel_auth0.convert.wire import Signal
from otel_auth0.exporters.base import ExportResult
from otel_auth0.exporters.otlp_outcomes import accepted, grpc_result, log_unaccepted
from otel_auth0.exporters.otlp_settings import USER_AGENT, SignalSettings
from otel_auth0.url_display import display_url

log = logging.getLogger(__name__)

COMPRESSION = {"gzip": grpc.Compression.Gzip, "deflate": grpc.Compression.Deflate}
_STUBS: dict[Signal, type[Any]] = {Signal.LOGS: LogsServiceStub, Signal.SPANS: TraceServiceStub}


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as error:
        raise ValueError(f"OTLP TLS file cannot be read: {error}") from error


def channel_credentials(settings: SignalSettings) -> grpc.ChannelCredentials:
    """TLS trusting ``certificate`` (else the system store), with the client certificate when given."""
    return grpc.ssl_channel_credentials(
        root_certificates=_read(settings.certificate),
        private_key=_read(settings.client_key),
        certificate_chain=_read(settings.client_certificate),
    )


def _pass_through(request: bytes) -> bytes:
    return request


class _PreEncoded:
    """A channel as the generated stubs see it, whose request serializer passes the already
    serialized request on unchanged (the method name and response type stay the stub's)."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._channel = channel

    def unary_unary(self, method: str, request_serializer: Any = None, **kwargs: Any) -> Any:
        return self._channel.unary_unary(method, request_serializer=_pass_through, **kwargs)


class GrpcSender:
    """Calls one signal's ``Export`` method."""

    def __init__(self, signal: Signal, settings: SignalSettings) -> None:
        self._signal = signal
        self._target, self._tls = settings.grpc_target()
        self._credentials = channel_credentials(settings) if self._tls else None
        self._compression = COMPRESSION.get(settings.compression, grpc.Compression.NoCompression)
        self._metadata = tuple(settings.headers.items())
        self._timeout = settings.timeout
        self._shown = display_url(self._target)
        self._channel, self._export = self._connect()

    def _connect(self) -> tuple[grpc.Channel, Any]:
        options = [("grpc.primary_user_agent", USER_AGENT)]
        if self._credentials is not None:
            channel = grpc.secure_channel(
                self._target, self._credentials, options=options, compression=self._compression
            )
        else:
            channel = grpc.insecure_channel(self._target, options=options, compression=self._compression)
        return channel, _STUBS[self._signal](_PreEncoded(channel)).Export

    def send(self, request: bytes, records: int) -> ExportResult:
        """Call once; the verdict follows the specification's status-code rules."""
        try:
            response = self._export(request, metadata=self._metadata, timeout=self._timeout)
        except grpc.RpcError as error:
            call = cast(grpc.Call, error)
            code = call.code()
            result = grpc_result(code, call.trailing_metadata())
            log_unaccepted(
                log,
                f"OTLP/gRPC export of {records} {self._signal.name.lower()}",
                self._shown,
                code.name,
                result,
                call.details() or "(no message)",
            )
            if code is grpc.StatusCode.UNAVAILABLE:
                # A fresh channel connects on the next attempt instead of waiting out gRPC's own
                # reconnect backoff (up to two minutes) after an outage.
                self._channel.close()
                self._channel, self._export = self._connect()
            return result
        return accepted(self._signal, response, self._shown)

    def close(self) -> None:
        """Close the channel."""
        self._channel.close()
