"""OTLP over TLS on loopback, both protocols: the server is trusted through ``exporters.otlp.certificate``
and, when the server asks for one, the client certificate comes from
``OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`` / ``OTEL_EXPORTER_OTLP_CLIENT_KEY``."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc

from otel_auth0.config import OtlpExporterConfig
from otel_auth0.convert.wire import Signal, build_request, encode_resource, encode_scope
from otel_auth0.exporters.base import ExportOutcome
from otel_auth0.exporters.otlp import OtlpExporter
from otel_auth0.local_tls import TlsFiles, ensure_certificates

pytestmark = pytest.mark.integration

PROTOCOLS = ["http/protobuf", "grpc"]
REQUEST = build_request(Signal.LOGS, encode_resource({}), [(encode_scope("s", "1"), b"")])


class _Logs(logs_service_pb2_grpc.LogsServiceServicer):
    def Export(self, request: logs_service_pb2.ExportLogsServiceRequest, context: object) -> Message:
        return logs_service_pb2.ExportLogsServiceResponse()


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def client_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed client certificate and its key (the server trusts it directly)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "otel-auth0 test client")])
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "client.pem", directory / "client-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@contextmanager
def tls_backend(protocol: str, files: TlsFiles, client_ca: Path | None = None) -> Iterator[str]:
    """An OTLP endpoint on loopback serving TLS with the local test certificate; with ``client_ca`` it
    requires a client certificate issued by it."""
    if protocol == "grpc":
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(_Logs(), server)
        credentials = grpc.ssl_server_credentials(
            [(files.key_file.read_bytes(), files.cert_file.read_bytes())],
            root_certificates=client_ca.read_bytes() if client_ca else None,
            require_client_auth=client_ca is not None,
        )
        port = server.add_secure_port("127.0.0.1:0", credentials)
        server.start()
        try:
            yield f"https://localhost:{port}"
        finally:
            server.stop(grace=None).wait()
        return
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.cert_file, files.key_file)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=client_ca)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]  # failed handshakes
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def outcome(config: OtlpExporterConfig, environ: dict[str, str]) -> ExportOutcome:
    exporter = OtlpExporter(config, environ)
    try:
        return exporter.export(Signal.LOGS, REQUEST, 0).outcome
    finally:
        exporter.shutdown()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_configured_certificate_is_trusted(tmp_path: Path, protocol: str) -> None:
    files = ensure_certificates(tmp_path / "tls")
    with tls_backend(protocol, files) as endpoint:
        trusted = OtlpExporterConfig(
            endpoint=endpoint, protocol=protocol, certificate=files.ca_file, timeout=30
        )
        system_store = OtlpExporterConfig(endpoint=endpoint, protocol=protocol, timeout=30)
        # The test CA is in no system store: the handshake fails, which is retried, not refused.
        assert (outcome(trusted, {}), outcome(system_store, {})) == (
            ExportOutcome.ACCEPTED,
            ExportOutcome.FAILED,
        )


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_client_certificate_comes_from_the_variables(tmp_path: Path, protocol: str) -> None:
    files = ensure_certificates(tmp_path / "tls")
    client_cert, client_key = client_certificate(tmp_path)
    with tls_backend(protocol, files, client_ca=client_cert) as endpoint:
        config = OtlpExporterConfig(endpoint=endpoint, protocol=protocol, timeout=30)
        ca = {"OTEL_EXPORTER_OTLP_CERTIFICATE": str(files.ca_file)}
        with_client = {
            **ca,
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": str(client_cert),
            "OTEL_EXPORTER_OTLP_CLIENT_KEY": str(client_key),
        }
        assert (outcome(config, with_client), outcome(config, ca)) == (
            ExportOutcome.ACCEPTED,
            ExportOutcome.FAILED,
        )
