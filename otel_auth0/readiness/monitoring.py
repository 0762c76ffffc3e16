"""Monitoring gates: ``/testall`` and telemetry reaching the configured OTLP endpoint (the synthetic
login is in :mod:`otel_auth0.readiness.synthetic_login`)."""

from __future__ import annotations

import asyncio
import time

import httpx

from otel_auth0.auth0.http import async_client
from otel_auth0.config import Config
from otel_auth0.convert.wire import Signal, build_request, encode_resource, encode_scope
from otel_auth0.exporters.base import ExportOutcome
from otel_auth0.exporters.otlp import OtlpExporter
from otel_auth0.readiness.result import CheckResult, failed, passed, skipped
from otel_auth0.receivers.endpoint_check import judge
from otel_auth0.receivers.records import new_span_id, new_trace_id, span
from otel_auth0.url_display import display_url

TELEMETRY_SCOPE = "otel_auth0.readiness"
TELEMETRY_SPAN = "auth0.readiness.telemetry_check"


def check_testall(config: Config) -> CheckResult:
    """``GET /testall`` answers 200 ``OK``."""
    title = "/testall answers OK"
    if config.auth0 is None:
        return skipped("testall", title, "GET /testall", "no auth0 section")
    url = f"{config.auth0.base_url}/testall"

    async def get() -> httpx.Response:
        async with async_client(config.auth0.ca_file if config.auth0 else None, 10.0) as client:
            return await client.get(url)

    try:
        response = asyncio.run(get())
    except httpx.HTTPError as error:
        return failed(
            "testall", title, f"GET {url}", f"request failed: {error!r}", "check DNS and egress to the tenant"
        )
    problem = judge("/testall", response)
    if problem is not None:
        return failed(
            "testall",
            title,
            f"GET {url}",
            f"{problem} (HTTP {response.status_code}: {response.text[:80]!r})",
            "check status.auth0.com for an incident on your region",
        )
    return passed("testall", title, f"GET {url}", "200 OK")


def check_telemetry_export(config: Config) -> CheckResult:
    """One test span is accepted by the configured OTLP endpoint."""
    title = "Probe telemetry reaches the configured OTLP endpoint"
    otlp = config.exporters.otlp
    if otlp is None:
        return failed(
            "telemetry_export",
            title,
            "exporters.otlp",
            "no OTLP exporter configured",
            "configure exporters.otlp with your collector's endpoint",
        )
    now = time.time_ns()
    record = span(
        new_trace_id(), new_span_id(), TELEMETRY_SPAN, now, now, {"auth0.readiness.check": "telemetry"}
    )
    request = build_request(
        Signal.SPANS,
        encode_resource({"service.name": config.service_name}),
        [(encode_scope(TELEMETRY_SCOPE, ""), record)],
    )
    where = display_url(otlp.endpoint) if otlp.endpoint else "OTEL_EXPORTER_OTLP_ENDPOINT"
    try:
        exporter = OtlpExporter(otlp)
    except ValueError as error:
        return failed(
            "telemetry_export",
            title,
            f"OTLP exporter settings for {where}",
            str(error),
            "fix exporters.otlp or the OTEL_EXPORTER_OTLP_* variable the message names",
        )
    try:
        result = exporter.export(Signal.SPANS, request, 1)
    finally:
        exporter.shutdown()
    if result.outcome is not ExportOutcome.ACCEPTED:
        return failed(
            "telemetry_export",
            title,
            f"OTLP export of one span to {where}",
            f"the endpoint did not accept the span ({result.outcome.value})",
            "check exporters.otlp endpoint, protocol, headers and TLS settings",
        )
    return passed(
        "telemetry_export", title, f"OTLP export of one span to {where}", f"span {TELEMETRY_SPAN} accepted"
    )
