"""Hand-built Auth0 events and observations for the detection tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from otel_auth0.convert.cloudevents import SOURCE, observed_view
from otel_auth0.detections.engine import Observed

T0 = 1_790_000_000.0  # 2026-09-21T...Z, an arbitrary fixed instant
_counter = iter(range(10**9))


def iso(seconds: float) -> str:
    """Auth0's ``date`` format."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event(type_: str, at: float, **fields: Any) -> Observed:
    """An Auth0 event of ``type_`` at ``T0 + at`` seconds with a unique log id."""
    data = {"type": type_, "date": iso(T0 + at), "log_id": f"{next(_counter):056d}", "tenant_name": "acme"}
    data.update(fields)
    return Observed(data)


def sapi(at: float, description: str, method: str, path: str, body: Any, response: Any = None) -> Observed:
    """A Management API operation."""
    details = {
        "request": {
            "method": method,
            "path": path,
            "body": body,
            "auth": {"user": {"email": "admin@acme.test"}},
        },
        "response": {"statusCode": 200, "body": response if response is not None else {}},
    }
    return event("sapi", at, description=description, client_id="cli", details=details)


def probe(at: float, ok: bool, duration: float) -> Observed:
    """A synthetic login probe result as the login_probe receiver reports it."""
    data = {
        "type": "login_probe",
        "outcome": "success" if ok else "failure",
        "duration_s": duration,
        "date": iso(T0 + at),
    }
    return Observed(data, source="login_probe")


def changelog(at: float, title: str) -> Observed:
    """A changelog item as the notices receiver reports it."""
    data = {
        "type": "changelog",
        "guid": f"guid-{title}",
        "title": title,
        "summary": "",
        "link": "",
        "date": iso(T0 + at),
    }
    return Observed(data, source="notices")


def cloud_event(kind: str, at: float) -> Observed:
    """An Auth0 Event Streams CloudEvent of ``kind`` at ``T0 + at`` seconds, as the intake observes it."""
    event = {
        "id": f"evt_{next(_counter):022d}",
        "source": "urn:auth0:acme.us.auth0.com",
        "specversion": "1.0",
        "type": kind,
        "time": iso(T0 + at),
        "data": {"object": {"user_id": f"auth0|{next(_counter):024d}"}},
        "a0tenant": "acme",
    }
    return Observed(observed_view(event), source=SOURCE, time_ns=int((T0 + at) * 1e9))
