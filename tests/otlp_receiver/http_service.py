"""The OTLP/HTTP server of the test receiver."""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
import zlib
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import grpc
from google.protobuf import json_format
from google.rpc import status_pb2

from tests.otlp_receiver.records import (
    ExportRejected,
    decode_request,
)

if TYPE_CHECKING:
    from tests.otlp_receiver.receiver import OtlpReceiver


class _HttpServer(ThreadingHTTPServer):
    """Threading HTTP server that tracks its connections so ``down`` can cut keep-alive clients."""

    daemon_threads = True
    receiver: OtlpReceiver

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def drop_connections(self) -> None:
        with self.connections_lock:
            connections, self.connections = self.connections, set()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _HttpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/stats":
            self._reply(HTTPStatus.NOT_FOUND, b'{"error": "not found"}', "application/json")
            return
        detail = parse_qs(url.query).get("detail", ["0"])[0] not in ("0", "false", "")
        body = json.dumps(self.server.receiver.stats(detail=detail)).encode()
        self._reply(HTTPStatus.OK, body, "application/json")

    def do_POST(self) -> None:
        started = time.perf_counter()
        receiver = self.server.receiver
        raw = self._read_body()
        signal_name = {"/v1/logs": "logs", "/v1/traces": "traces", "/v1/metrics": "metrics"}.get(
            urlsplit(self.path).path
        )
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if signal_name is None:
            self._error(HTTPStatus.NOT_FOUND, "unknown path", content_type)
            return
        if content_type not in ("application/x-protobuf", "application/json"):
            receiver._count_bad_request()
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"unsupported content type {content_type!r}", "")
            return
        try:
            receiver._admit()
        except ExportRejected as rejected:
            headers = {}
            if rejected.retry_after is not None:
                headers["Retry-After"] = f"{rejected.retry_after:g}"
            self._error(HTTPStatus.SERVICE_UNAVAILABLE, str(rejected), content_type, headers)
            return
        try:
            body = self._decompress(raw)
            request = decode_request(signal_name, body, content_type)
        except (OSError, EOFError, zlib.error, ValueError) as exc:
            receiver._count_bad_request()
            self._error(HTTPStatus.BAD_REQUEST, str(exc), content_type)
            return
        if receiver._refused(signal_name, request):
            self._error(HTTPStatus.BAD_REQUEST, "refused by the test receiver", content_type)
            return
        encoding = (self.headers.get("Content-Encoding") or "identity").strip().lower()
        receiver._ingest(signal_name, "http", request, len(body), started, encoding)
        response = receiver._response(signal_name)
        if content_type == "application/json":
            self._reply(HTTPStatus.OK, json_format.MessageToJson(response).encode(), content_type)
        else:
            self._reply(HTTPStatus.OK, response.SerializeToString(), content_type)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _decompress(self, raw: bytes) -> bytes:
        encoding = (self.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding == "gzip":
            return gzip.decompress(raw)
        if encoding == "deflate":
            return zlib.decompress(raw)
        if encoding != "identity":
            raise ValueError(f"unsupported content encoding {encoding!r}")
        return raw

    def _error(
        self, status: HTTPStatus, message: str, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        code = (
            grpc.StatusCode.UNAVAILABLE
            if status == HTTPStatus.SERVICE_UNAVAILABLE
            else grpc.StatusCode.INVALID_ARGUMENT
        )
        rpc_status = status_pb2.Status(code=code.value[0], message=message)
        if content_type == "application/x-protobuf":
            self._reply(status, rpc_status.SerializeToString(), content_type, headers)
        else:
            body = json_format.MessageToJson(rpc_status).encode()
            self._reply(status, body, "application/json", headers)

    def _reply(
        self, status: HTTPStatus, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


# -- process entry point -------------------------------------------------------------------
