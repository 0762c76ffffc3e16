"""Monitoring gates: the synthetic login within the threshold, ``/testall``, and telemetry reaching the
configured OTLP endpoint."""

from __future__ import annotations

import asyncio
import math
import time

import httpx

from otel_auth0.auth0.http import async_client
from otel_auth0.auth0.probe import LoginProbe
from otel_auth0.config import Config
from otel_auth0.convert.wire import Signal, build_request, encode_resource, encode_scope
from otel_auth0.exporters.base import ExportOutcome
from otel_auth0.exporters.otlp import OtlpExporter
from otel_auth0.readiness.result import CheckResult, failed, passed, skipped
from otel_auth0.receivers.endpoint_check import judge
from otel_auth0.receivers.login_probe import probe_settings
from otel_auth0.receivers.records import new_span_id, new_trace_id, span

PROBE_RUNS = 3
TELEMETRY_SCOPE = "otel_auth0.readiness"
TELEMETRY_SPAN = "auth0.readiness.telemetry_check"


def p95(durations: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(durations)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def check_synthetic_login(config: Config, threshold_s: float, runs: int = PROBE_RUNS) -> CheckResult:
    """``runs`` synthetic logins all succeed and their p95 is within ``threshold_s``."""
    title = f"The synthetic login succeeds within {threshold_s:g}s (p95)"
    probe_config = config.receivers.login_probe
    if config.auth0 is None or probe_config is None or not probe_config.username:
        return failed(
            "synthetic_login",
            title,
            "receivers.login_probe",
            "no synthetic login is configured",
            "configure receivers.login_probe (a test user and a first-party client with the password grant)",
        )
    probe = LoginProbe(probe_settings(config.auth0, probe_config))

    async def run_all() -> list[tuple[bool, float, str | None]]:
        results = []
        for _ in range(runs):
            result = await probe.run()
            results.append((result.ok, result.duration, result.message))
        return results

    results = asyncio.run(run_all())
    checked = f"{runs} password-grant logins of {probe_config.username} at {config.auth0.base_url}"
    failures = [message for ok, _, message in results if not ok]
    if failures:
        return failed(
            "synthetic_login",
            title,
            checked,
            f"{len(failures)} of {runs} logins failed: {failures[0]}",
            "check the probe user, its password and that the client allows the password grant",
        )
    slowest = p95([duration for _, duration, _ in results])
    if slowest > threshold_s:
        return failed(
            "synthetic_login",
            title,
            checked,
            f"p95 {slowest:.2f}s is above {threshold_s:g}s",
            "find the slow phase in the probe spans (Actions, custom DB) or raise thresholds.probe_p95_s",
        )
    return passed("synthetic_login", title, checked, f"p95 {slowest:.3f}s over {runs} logins")


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
    where = otlp.endpoint or "OTEL_EXPORTER_OTLP_ENDPOINT"
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
