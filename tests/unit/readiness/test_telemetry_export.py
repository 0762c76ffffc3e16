"""The telemetry-export readiness check sends one span to the test OTLP receiver on loopback."""

from __future__ import annotations

import os

import pytest

from otel_auth0.config import Config, ExportersConfig, OtlpExporterConfig
from otel_auth0.readiness.monitoring import check_telemetry_export
from tests.otlp_receiver import OtlpReceiver


@pytest.fixture(autouse=True)
def no_otlp_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("OTEL_EXPORTER_OTLP")]:
        monkeypatch.delenv(name)


def config(endpoint: str, protocol: str) -> Config:
    otlp = OtlpExporterConfig(endpoint=endpoint, protocol=protocol, timeout=30)
    return Config(exporters=ExportersConfig(otlp=otlp))


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_an_accepted_span_passes_and_a_refused_one_fails(otlp_receiver: OtlpReceiver, protocol: str) -> None:
    endpoint = otlp_receiver.grpc_endpoint if protocol == "grpc" else otlp_receiver.http_endpoint
    result = check_telemetry_export(config(endpoint, protocol))
    assert result.status == "pass", result.message
    assert len(otlp_receiver.spans()) == 1
    otlp_receiver.set_refusal(lambda signal, request: True)
    refused = check_telemetry_export(config(endpoint, protocol))
    assert refused.status == "fail" and "rejected" in refused.message
    otlp_receiver.set_refusal(None)
    otlp_receiver.set_failure("unavailable", count=1)
    failing = check_telemetry_export(config(endpoint, protocol))
    assert failing.status == "fail" and "failed" in failing.message


def test_malformed_settings_fail_with_the_variable_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "api-key")
    result = check_telemetry_export(config("http://127.0.0.1:4318", "http/protobuf"))
    assert result.status == "fail" and "OTEL_EXPORTER_OTLP_HEADERS" in result.message
