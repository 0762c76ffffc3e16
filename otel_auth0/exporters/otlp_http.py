"""OTLP/HTTP: the queue's pre-encoded protobuf requests posted with an httpx client."""

from __future__ import annotations

import gzip
import logging
import ssl
import zlib

import httpx
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from google.rpc import status_pb2

from otel_auth0.convert.wire import Signal
from otel_auth0.exporters.base import ACCEPTED, FAILED, ExportResult
from otel_auth0.exporters.deadline import install_deadline
from otel_auth0.exporters.otlp_outcomes import (
    RESPONSE_TYPES,
    ExportResponse,
    accepted,
    http_result,
    log_unaccepted,
)
from otel_auth0.exporters.otlp_settings import USER_AGENT, SignalSettings
from otel_auth0.url_display import display_url, redirect_origin

log = logging.getLogger(__name__)

_PROTOBUF = "application/x-protobuf"


def tls_context(settings: SignalSettings) -> ssl.SSLContext:
    """Trust ``certificate`` (else the system store); present the client certificate when given."""
    try:
        context = ssl.create_default_context(
            cafile=str(settings.certificate) if settings.certificate is not None else None
        )
        if settings.client_certificate is not None:
            context.load_cert_chain(
                str(settings.client_certificate),
                str(settings.client_key) if settings.client_key is not None else None,
            )
    except OSError as error:  # ssl.SSLError included
        raise ValueError(f"OTLP TLS files cannot be loaded: {error}") from error
    return context


def _compress(body: bytes, compression: str) -> bytes:
    if compression == "gzip":
        return gzip.compress(body, compresslevel=6, mtime=0)
    if compression == "deflate":
        return zlib.compress(body)
    return body


def _error_message(response: httpx.Response) -> str:
    """The ``google.rpc.Status`` message of an OTLP error body, else the start of the body."""
    if response.headers.get("Content-Type", "").startswith(_PROTOBUF):
        try:
            return status_pb2.Status.FromString(response.content).message or "(no message)"
        except DecodeError:
            pass
    return response.text[:200] or "(empty body)"


def _response(signal: Signal, response: httpx.Response) -> ExportResponse | None:
    """The OTLP response in a 2xx body (protobuf, or JSON from some backends); None when the body is
    something else, which still means success."""
    message = RESPONSE_TYPES[signal]()
    content_type = response.headers.get("Content-Type", "")
    try:
        if content_type.startswith(_PROTOBUF):
            message.ParseFromString(response.content)
        elif content_type.startswith("application/json"):
            json_format.Parse(response.content or b"{}", message, ignore_unknown_fields=True)
        else:
            return None
    except (DecodeError, json_format.ParseError):
        return None
    return message


class HttpSender:
    """Posts one signal's requests to its URL."""

    def __init__(self, signal: Signal, settings: SignalSettings) -> None:
        self._signal = signal
        self._url = settings.endpoint
        self._compression = settings.compression
        headers = {"User-Agent": USER_AGENT, **settings.headers, "Content-Type": _PROTOBUF}
        if settings.compression != "none":
            headers["Content-Encoding"] = settings.compression
        self._timeout = settings.timeout
        # Redirects are not followed: the headers carry API keys (x-honeycomb-team, dd-api-key...)
        # that must never reach another address; a 3xx is a failed attempt, logged with its target.
        self._client = httpx.Client(
            verify=tls_context(settings), timeout=settings.timeout, headers=headers, follow_redirects=False
        )
        self._deadline = install_deadline(self._client)
        self._shown = display_url(self._url)

    def send(self, request: bytes, records: int) -> ExportResult:
        """Post once, within ``timeout`` in all; the verdict follows the specification's status rules."""
        try:
            with self._deadline.attempt(self._timeout):
                response = self._client.post(self._url, content=_compress(request, self._compression))
        except httpx.HTTPError as error:
            problem = str(error) or type(error).__name__
            if isinstance(error, httpx.TimeoutException):
                problem = f"no complete answer within {self._timeout:g}s (exporters.otlp.timeout): {problem}"
            log.warning(
                "OTLP/HTTP export of %d %s to %s failed: %s",
                records,
                self._signal.name.lower(),
                self._shown,
                problem,
            )
            return FAILED
        if response.is_redirect:
            log.warning(
                "OTLP/HTTP export of %d %s to %s: HTTP %d redirects to %s; not followed (the request "
                "carries credentials), will retry: set exporters.otlp.endpoint to the final address",
                records,
                self._signal.name.lower(),
                self._shown,
                response.status_code,
                redirect_origin(self._url, response.headers.get("Location", "")),
            )
            return FAILED
        if response.is_success:
            answer = _response(self._signal, response)
            return ACCEPTED if answer is None else accepted(self._signal, answer, self._shown)
        result = http_result(response.status_code, response.headers.get("Retry-After"))
        log_unaccepted(
            log,
            f"OTLP/HTTP export of {records} {self._signal.name.lower()}",
            self._shown,
            f"HTTP {response.status_code}",
            result,
            _error_message(response),
        )
        return result

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
