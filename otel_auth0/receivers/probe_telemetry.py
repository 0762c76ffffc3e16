"""Telemetry of one login-probe run: a trace (root span ``auth0.login_probe`` with a child span per
step), one log record ``auth0.probe.run``, and the ``auth0.probe.*`` metrics."""

from __future__ import annotations

from opentelemetry.proto.logs.v1.logs_pb2 import SeverityNumber
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otel_auth0.auth0.probe import PROBE_USER_AGENT, ProbeResult, ProbeSettings
from otel_auth0.convert.mapping import Converted
from otel_auth0.convert.wire import AttributeValue
from otel_auth0.instruments import Instruments
from otel_auth0.receivers.probe_guard import BLOCKED_ERROR_TYPE
from otel_auth0.receivers.records import log_record, new_span_id, new_trace_id, span

SCOPE = "otel_auth0.login_probe"
ROOT_STEP = "login"


def common_attributes(settings: ProbeSettings) -> dict[str, AttributeValue]:
    """Attributes on every span and the run's log record."""
    attributes: dict[str, AttributeValue] = {
        "user_agent.synthetic.type": "test",
        "user_agent.original": PROBE_USER_AGENT,
        "auth0.client.id": settings.client_id,
        "auth0.probe.grant": "password-realm" if settings.realm else "password",
        "user.name": settings.username,
    }
    if settings.realm:
        attributes["auth0.connection"] = settings.realm
    return attributes


def probe_telemetry(settings: ProbeSettings, result: ProbeResult) -> Converted:
    """The run's spans and log record, framed for the queue."""
    trace_id, root_id = new_trace_id(), new_span_id()
    base = common_attributes(settings)
    spans = [
        span(
            trace_id,
            root_id,
            "auth0.login_probe",
            result.start_ns,
            result.end_ns,
            {**base, **({"error.type": result.error_type} if result.error_type else {})},
            error=result.message if not result.ok else None,
        )
    ]
    for step in result.steps:
        attributes: dict[str, AttributeValue] = {**base, "auth0.probe.step": step.name}
        if step.url:
            attributes["url.full"] = step.url
        if step.status_code is not None:
            attributes["http.response.status_code"] = step.status_code
        if step.error_type:
            attributes["error.type"] = step.error_type
        for phase, seconds in step.phases.items():
            attributes[f"auth0.probe.phase.{phase}"] = seconds
        spans.append(
            span(
                trace_id,
                new_span_id(),
                f"auth0.login_probe.{step.name}",
                step.start_ns,
                step.end_ns,
                attributes,
                parent_id=root_id,
                kind=Span.SpanKind.SPAN_KIND_CLIENT,
                error=step.message if step.error_type else None,
            )
        )
    attributes = {**base, "auth0.probe.outcome": "success" if result.ok else "failure"}
    attributes["auth0.probe.duration"] = result.duration
    if result.error_type:
        attributes["error.type"] = result.error_type
    body = (
        f"login probe succeeded in {result.duration:.3f}s"
        if result.ok
        else f"login probe failed: {result.message}"
    )
    record = log_record(
        "auth0.probe.run",
        SeverityNumber.SEVERITY_NUMBER_INFO if result.ok else SeverityNumber.SEVERITY_NUMBER_ERROR,
        body,
        attributes,
        time_ns=result.start_ns,
        trace_id=trace_id,
        span_id=root_id,
    )
    return Converted(key=None, logs=record, spans=b"".join(spans), span_count=len(spans))


def blocked_telemetry(settings: ProbeSettings, reason: str) -> Converted:
    """The WARN record of a run skipped by the credential guard."""
    attributes = {
        **common_attributes(settings),
        "auth0.probe.outcome": "blocked",
        "error.type": BLOCKED_ERROR_TYPE,
    }
    record = log_record("auth0.probe.run", SeverityNumber.SEVERITY_NUMBER_WARN, reason, attributes)
    return Converted(key=None, logs=record)


def record_metrics(instruments: Instruments, result: ProbeResult | None) -> None:
    """``auth0.probe.duration`` per step, ``auth0.probe.success``, ``auth0.probe.errors``
    (``None`` = the run was skipped by the credential guard)."""
    if result is None:
        instruments.probe_success.set(0)
        instruments.probe_errors.add(1, {"error.type": BLOCKED_ERROR_TYPE})
        return
    instruments.probe_duration.record(result.duration, {"auth0.probe.step": ROOT_STEP})
    for step in result.steps:
        instruments.probe_duration.record(step.duration, {"auth0.probe.step": step.name})
    instruments.probe_success.set(1 if result.ok else 0)
    if result.error_type:
        instruments.probe_errors.add(1, {"error.type": result.error_type})
