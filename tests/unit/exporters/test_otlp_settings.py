"""OTLP exporter settings: file keys, then per-signal and general OTEL_EXPORTER_OTLP_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from otel_auth0.config import OtlpExporterConfig
from otel_auth0.exporters.otlp_settings import parse_headers, resolve

EMPTY = OtlpExporterConfig()


def test_defaults_follow_the_specification() -> None:
    logs = resolve(EMPTY, "LOGS", {})
    assert (logs.protocol, logs.endpoint) == ("http/protobuf", "http://localhost:4318/v1/logs")
    assert (logs.headers, logs.compression, logs.timeout) == ({}, "none", 10.0)
    assert (logs.certificate, logs.client_key, logs.client_certificate, logs.insecure) == (
        None,
        None,
        None,
        None,
    )
    grpc = resolve(OtlpExporterConfig(protocol="grpc"), "TRACES", {})
    assert grpc.endpoint == "http://localhost:4317"
    assert grpc.grpc_target() == ("localhost:4317", False)


def test_general_endpoint_gets_the_signal_path_and_a_per_signal_one_is_used_as_is() -> None:
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.example:4318/base/",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://traces.example/custom/path",
    }
    assert resolve(EMPTY, "LOGS", env).endpoint == "https://collector.example:4318/base/v1/logs"
    assert resolve(EMPTY, "METRICS", env).endpoint == "https://collector.example:4318/base/v1/metrics"
    assert resolve(EMPTY, "TRACES", env).endpoint == "https://traces.example/custom/path"


def test_the_file_endpoint_overrides_every_variable() -> None:
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://env:4318",
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://env-logs:4318/v1/logs",
    }
    config = OtlpExporterConfig(endpoint="http://file:4318/")
    assert resolve(config, "LOGS", env).endpoint == "http://file:4318/v1/logs"
    grpc = OtlpExporterConfig(endpoint="http://file:4317", protocol="grpc")
    assert resolve(grpc, "LOGS", env).endpoint == "http://file:4317"


def test_grpc_takes_the_per_signal_endpoint_before_the_general_one() -> None:
    env = {
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://general:4317",
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "https://logs.example:443",
    }
    assert resolve(EMPTY, "LOGS", env).grpc_target() == ("logs.example:443", True)
    assert resolve(EMPTY, "TRACES", env).grpc_target() == ("general:4317", False)


@pytest.mark.parametrize(
    ("endpoint", "insecure", "target"),
    [
        ("https://backend:4317", True, ("backend:4317", True)),  # the scheme wins
        ("http://backend:4317", False, ("backend:4317", False)),
        ("backend:4317", None, ("backend:4317", True)),  # no scheme: TLS unless insecure
        ("backend:4317", True, ("backend:4317", False)),
    ],
)
def test_grpc_tls_follows_the_scheme_then_insecure(
    endpoint: str, insecure: bool | None, target: tuple[str, bool]
) -> None:
    config = OtlpExporterConfig(endpoint=endpoint, protocol="grpc", insecure=insecure)
    assert resolve(config, "LOGS", {}).grpc_target() == target


def test_insecure_comes_from_the_per_signal_then_the_general_variable() -> None:
    env = {"OTEL_EXPORTER_OTLP_INSECURE": "true", "OTEL_EXPORTER_OTLP_TRACES_INSECURE": "FALSE"}
    assert resolve(EMPTY, "LOGS", env).insecure is True
    assert resolve(EMPTY, "TRACES", env).insecure is False
    assert resolve(EMPTY, "LOGS", {"OTEL_EXPORTER_OTLP_INSECURE": "yes"}).insecure is False


def test_headers_are_url_decoded_lower_cased_and_per_signal_first() -> None:
    env = {
        "OTEL_EXPORTER_OTLP_HEADERS": "X-Api-Key=a%20b%3Dc, x-tenant = t1 ,",
        "OTEL_EXPORTER_OTLP_METRICS_HEADERS": "x-dataset=metrics%2Cauth0",
    }
    assert resolve(EMPTY, "LOGS", env).headers == {"x-api-key": "a b=c", "x-tenant": "t1"}
    assert resolve(EMPTY, "METRICS", env).headers == {"x-dataset": "metrics,auth0"}


def test_file_headers_replace_the_variables_and_are_taken_literally() -> None:
    env = {"OTEL_EXPORTER_OTLP_HEADERS": "x-env=1"}
    config = OtlpExporterConfig(headers={"X-Honeycomb-Team": "key%20with,comma"})
    assert resolve(config, "LOGS", env).headers == {"x-honeycomb-team": "key%20with,comma"}


def test_values_may_contain_equals_signs() -> None:
    assert parse_headers("authorization=Basic%20dXNlcjpwYXNz==", "test") == {
        "authorization": "Basic dXNlcjpwYXNz=="
    }


@pytest.mark.parametrize("text", ["no-equals-sign", "=value", "bad key=1"])
def test_malformed_headers_name_the_variable(text: str) -> None:
    with pytest.raises(ValueError, match="OTEL_EXPORTER_OTLP_HEADERS"):
        resolve(EMPTY, "LOGS", {"OTEL_EXPORTER_OTLP_HEADERS": text})


def test_timeout_variables_are_milliseconds_and_the_file_key_seconds() -> None:
    env = {"OTEL_EXPORTER_OTLP_TIMEOUT": "2500", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "750"}
    assert resolve(EMPTY, "LOGS", env).timeout == 2.5
    assert resolve(EMPTY, "TRACES", env).timeout == 0.75
    assert resolve(OtlpExporterConfig(timeout=3), "TRACES", env).timeout == 3.0


@pytest.mark.parametrize("value", ["soon", "0", "-5"])
def test_bad_timeouts_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match=r"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT.*milliseconds"):
        resolve(EMPTY, "LOGS", {"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT": value})


def test_compression_per_signal_then_general_and_the_file_key_first() -> None:
    env = {"OTEL_EXPORTER_OTLP_COMPRESSION": "GZIP", "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION": "none"}
    assert resolve(EMPTY, "LOGS", env).compression == "none"
    assert resolve(EMPTY, "TRACES", env).compression == "gzip"
    assert resolve(OtlpExporterConfig(compression="deflate"), "TRACES", env).compression == "deflate"
    with pytest.raises(ValueError, match="OTEL_EXPORTER_OTLP_COMPRESSION='br'"):
        resolve(EMPTY, "LOGS", {"OTEL_EXPORTER_OTLP_COMPRESSION": "br"})


def test_protocol_per_signal_and_unsupported_ones_refused() -> None:
    env = {"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/protobuf"}
    assert resolve(EMPTY, "LOGS", env).protocol == "grpc"
    assert resolve(EMPTY, "METRICS", env).protocol == "http/protobuf"
    assert resolve(OtlpExporterConfig(protocol="http/protobuf"), "LOGS", env).protocol == "http/protobuf"
    with pytest.raises(ValueError, match="http/json"):
        resolve(EMPTY, "LOGS", {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"})


def test_tls_files_per_signal_then_general_and_the_file_certificate_first() -> None:
    env = {
        "OTEL_EXPORTER_OTLP_CERTIFICATE": "/etc/ca.pem",
        "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE": "/etc/logs-ca.pem",
        "OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY": "/etc/client.key",
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": "/etc/client.pem",
        "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE": "/etc/traces-client.pem",
    }
    logs = resolve(EMPTY, "LOGS", env)
    traces = resolve(EMPTY, "TRACES", env)
    assert (logs.certificate, logs.client_key, logs.client_certificate) == (
        Path("/etc/logs-ca.pem"),
        Path("/etc/client.key"),
        Path("/etc/client.pem"),
    )
    assert (traces.certificate, traces.client_certificate) == (
        Path("/etc/ca.pem"),
        Path("/etc/traces-client.pem"),
    )
    configured = resolve(OtlpExporterConfig(certificate=Path("/file/ca.pem")), "LOGS", env)
    assert configured.certificate == Path("/file/ca.pem")


def test_the_process_environment_is_read_when_none_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://from-env:4318/v1/logs")
    assert resolve(EMPTY, "LOGS").endpoint == "http://from-env:4318/v1/logs"


def test_header_values_must_be_printable_ascii() -> None:
    with pytest.raises(ValueError, match="OTEL_EXPORTER_OTLP_LOGS_HEADERS: the value of 'x-key'"):
        resolve(EMPTY, "LOGS", {"OTEL_EXPORTER_OTLP_LOGS_HEADERS": "x-key=s%C3%A9cret"})
    with pytest.raises(ValueError, match=r"exporters\.otlp\.headers: the value of 'x-key'"):
        resolve(OtlpExporterConfig(headers={"X-Key": "line\nbreak"}), "LOGS", {})


@pytest.mark.parametrize("endpoint", ["collector:4318", "ftp://collector", "http://"])
def test_an_http_endpoint_must_be_an_http_url(endpoint: str) -> None:
    with pytest.raises(ValueError, match="expected an http"):
        resolve(OtlpExporterConfig(endpoint=endpoint), "LOGS", {})
    with pytest.raises(ValueError, match="expected an http"):
        resolve(EMPTY, "TRACES", {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint})


def test_a_grpc_endpoint_with_another_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="expected http"):
        resolve(
            OtlpExporterConfig(endpoint="ftp://collector:4317", protocol="grpc"), "LOGS", {}
        ).grpc_target()


def test_a_client_key_needs_a_client_certificate_and_grpc_needs_both() -> None:
    with pytest.raises(ValueError, match="CLIENT_KEY is set without a CLIENT_CERTIFICATE"):
        resolve(EMPTY, "TRACES", {"OTEL_EXPORTER_OTLP_CLIENT_KEY": "/etc/client.key"})
    combined = {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": "/etc/client-with-key.pem"}
    assert resolve(EMPTY, "LOGS", combined).client_certificate == Path("/etc/client-with-key.pem")
    with pytest.raises(ValueError, match="needs a CLIENT_KEY for gRPC"):
        resolve(OtlpExporterConfig(protocol="grpc"), "LOGS", combined)
