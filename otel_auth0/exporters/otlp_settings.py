"""Per-signal OTLP exporter settings: ``exporters.otlp`` keys first, then the OTLP exporter
specification's environment variables (``OTEL_EXPORTER_OTLP_<SIGNAL>_*``, then ``OTEL_EXPORTER_OTLP_*``),
then the specification's defaults."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from otel_auth0 import __version__
from otel_auth0.config import OtlpExporterConfig
from otel_auth0.url_display import display_url

log = logging.getLogger(__name__)

USER_AGENT = f"otel-auth0/{__version__}"
SignalName = Literal["LOGS", "TRACES", "METRICS"]
PROTOCOLS = ("grpc", "http/protobuf")
COMPRESSIONS = ("gzip", "deflate", "none")
DEFAULT_TIMEOUT = 10.0
_DEFAULT_ENDPOINTS = {"grpc": "http://localhost:4317", "http/protobuf": "http://localhost:4318"}
_HTTP_PATHS: dict[SignalName, str] = {"LOGS": "v1/logs", "TRACES": "v1/traces", "METRICS": "v1/metrics"}


@dataclass(frozen=True)
class SignalSettings:
    """Everything one signal's OTLP client needs."""

    protocol: str
    endpoint: str  # HTTP: the full URL requests are posted to; gRPC: a URL or host:port
    headers: dict[str, str]
    compression: str
    timeout: float  # seconds
    certificate: Path | None
    client_key: Path | None
    client_certificate: Path | None
    insecure: bool | None  # gRPC: set explicitly (key or variable); None when neither says

    def grpc_target(self) -> tuple[str, bool]:
        """The gRPC ``host:port`` and whether the channel uses TLS: an ``https`` endpoint always does,
        an ``http`` one never; without a scheme ``insecure`` decides (TLS unless it is true)."""
        if "://" not in self.endpoint:
            return self.endpoint, not self.insecure
        url = urlsplit(self.endpoint)
        if url.scheme not in ("http", "https") or not url.netloc:
            shown = display_url(self.endpoint)
            raise ValueError(f"OTLP endpoint {shown!r}: expected http(s)://host:port or host:port")
        return url.netloc, url.scheme == "https"


def _env(environ: Mapping[str, str], signal: SignalName, suffix: str) -> tuple[str, str] | None:
    """The per-signal variable if set, else the general one: (name, value), or None."""
    for name in (f"OTEL_EXPORTER_OTLP_{signal}_{suffix}", f"OTEL_EXPORTER_OTLP_{suffix}"):
        value = environ.get(name, "").strip()
        if value:
            return name, value
    return None


def _checked(headers: dict[str, str], source: str) -> dict[str, str]:
    """HTTP headers and gRPC metadata carry printable ASCII only."""
    for key, value in headers.items():
        if not (value.isascii() and value.isprintable()):
            raise ValueError(f"{source}: the value of {key!r} must be printable ASCII")
    return headers


def parse_headers(text: str, source: str) -> dict[str, str]:
    """``k1=v1,k2=v2`` with URL-encoded keys and values (the W3C Baggage form the specification uses);
    keys are lower-cased, as gRPC metadata requires."""
    headers: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        key = unquote(key).strip().lower()
        if not sep or not key or any(ch.isspace() for ch in key):
            raise ValueError(f"{source}: {item.strip()!r} is not a key=value header")
        headers[key] = unquote(value).strip()
    return _checked(headers, source)


def resolve_protocol(config: OtlpExporterConfig, signal: SignalName, environ: Mapping[str, str]) -> str:
    """Configured protocol, else ``OTEL_EXPORTER_OTLP_[<SIGNAL>_]PROTOCOL``, else ``http/protobuf``."""
    if config.protocol:
        return config.protocol
    found = _env(environ, signal, "PROTOCOL")
    if found is None:
        return "http/protobuf"
    name, value = found
    if value not in PROTOCOLS:
        raise ValueError(f"{name}={value!r}: supported protocols are grpc and http/protobuf")
    return value


def _endpoint(
    config: OtlpExporterConfig, signal: SignalName, protocol: str, environ: Mapping[str, str]
) -> str:
    per_signal = environ.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT", "").strip()
    base = config.endpoint or (None if per_signal else environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip())
    if protocol == "grpc":
        return base or per_signal or _DEFAULT_ENDPOINTS["grpc"]
    if base:
        return f"{base.rstrip('/')}/{_HTTP_PATHS[signal]}"
    if per_signal:
        return per_signal  # the specification: a per-signal URL is used as it is
    return f"{_DEFAULT_ENDPOINTS['http/protobuf']}/{_HTTP_PATHS[signal]}"


def _headers(config: OtlpExporterConfig, signal: SignalName, environ: Mapping[str, str]) -> dict[str, str]:
    if config.headers is not None:
        return _checked(
            {key.strip().lower(): value for key, value in config.headers.items()}, "exporters.otlp.headers"
        )
    found = _env(environ, signal, "HEADERS")
    return parse_headers(found[1], found[0]) if found else {}


def _compression(config: OtlpExporterConfig, signal: SignalName, environ: Mapping[str, str]) -> str:
    if config.compression is not None:
        return config.compression
    found = _env(environ, signal, "COMPRESSION")
    if found is None:
        return "none"
    name, value = found
    if value.lower() not in COMPRESSIONS:
        raise ValueError(f"{name}={value!r}: supported compressions are gzip, deflate and none")
    return value.lower()


def _timeout(config: OtlpExporterConfig, signal: SignalName, environ: Mapping[str, str]) -> float:
    if config.timeout is not None:
        return float(config.timeout)
    found = _env(environ, signal, "TIMEOUT")
    if found is None:
        return DEFAULT_TIMEOUT
    name, value = found
    try:
        milliseconds = float(value)
    except ValueError:
        milliseconds = 0.0
    if milliseconds <= 0:
        raise ValueError(f"{name}={value!r}: expected a positive number of milliseconds")
    return milliseconds / 1000


def _path(
    configured: Path | None, signal: SignalName, suffix: str, environ: Mapping[str, str]
) -> Path | None:
    if configured is not None:
        return configured
    found = _env(environ, signal, suffix)
    return Path(found[1]) if found else None


def _insecure(config: OtlpExporterConfig, signal: SignalName, environ: Mapping[str, str]) -> bool | None:
    if config.insecure is not None:
        return config.insecure
    found = _env(environ, signal, "INSECURE")
    if found is None:
        return None
    name, value = found
    if value.lower() not in ("true", "false"):
        log.warning("%s=%r is not true or false; taken as false", name, value)
    return value.lower() == "true"


def resolve(
    config: OtlpExporterConfig, signal: SignalName, environ: Mapping[str, str] | None = None
) -> SignalSettings:
    """The settings of one signal; raises ``ValueError`` naming the variable for a malformed value."""
    env = os.environ if environ is None else environ
    protocol = resolve_protocol(config, signal, env)
    endpoint = _endpoint(config, signal, protocol, env)
    url = urlsplit(endpoint)
    if protocol == "http/protobuf" and (url.scheme not in ("http", "https") or not url.netloc):
        shown = display_url(endpoint)
        raise ValueError(f"OTLP/HTTP endpoint {shown!r} for {signal.lower()}: expected an http(s) URL")
    client_key = _path(None, signal, "CLIENT_KEY", env)
    client_certificate = _path(None, signal, "CLIENT_CERTIFICATE", env)
    if client_key is not None and client_certificate is None:
        raise ValueError(f"OTEL_EXPORTER_OTLP_[{signal}_]CLIENT_KEY is set without a CLIENT_CERTIFICATE")
    if protocol == "grpc" and client_certificate is not None and client_key is None:
        raise ValueError(f"OTEL_EXPORTER_OTLP_[{signal}_]CLIENT_CERTIFICATE needs a CLIENT_KEY for gRPC")
    return SignalSettings(
        protocol=protocol,
        endpoint=endpoint,
        headers=_headers(config, signal, env),
        compression=_compression(config, signal, env),
        timeout=_timeout(config, signal, env),
        certificate=_path(config.certificate, signal, "CERTIFICATE", env),
        client_key=client_key,
        client_certificate=client_certificate,
        insecure=_insecure(config, signal, env),
    )
