"""A day of log history for the ``large`` profile, stored at start-up: generated traffic spread evenly
over the last :data:`SPAN` plus fixed events of the kinds a scan must never miss (rate limits, email
delivery failures, a deprecation notice, a warning) placed many hours back, so newest-first they come
long after the first 1,000 results of a search. Log ids follow the event dates, as on Auth0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from otel_auth0_sim.state import Event, TenantState
from otel_auth0_sim.traffic import TrafficGenerator

HISTORY_EVENTS = 5400
SPAN = timedelta(hours=23, minutes=30)
INGESTION_DELAY = timedelta(seconds=2)
MARKERS: tuple[tuple[str, str, float, int], ...] = (
    # (type, description, hours ago, count)
    ("limit_wc", "Blocked Account", 20.0, 3),
    ("api_limit", "Rate limit exceeded", 19.5, 2),
    ("limit_mu", "Blocked IP Address", 19.0, 1),
    ("fn", "Failed Sending Notification", 18.0, 2),
    ("depnote", "Deprecation Notice", 16.0, 1),
    ("w", "Warning during login", 15.0, 1),
)


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _markers(generator: TrafficGenerator, now: datetime) -> list[Event]:
    events = []
    app = generator.apps[0]
    for kind, description, hours_ago, count in MARKERS:
        for index in range(count):
            when = now - timedelta(hours=hours_ago, seconds=index * 7)
            event: dict[str, Any] = {
                "type": kind,
                "description": description,
                "date": _stamp(when),
                "client_id": app.client_id,
                "client_name": app.name,
                "hostname": generator.hostname,
                "tenant_name": generator.tenant_name,
                "details": {},
            }
            events.append(event)
    return events


def backfill(
    state: TenantState, generator: TrafficGenerator, count: int = HISTORY_EVENTS, now: datetime | None = None
) -> list[Event]:
    """Store ``count`` generated events over the last :data:`SPAN` plus the markers, oldest first."""
    now = now or datetime.now(UTC)
    start = now - SPAN
    events: list[Event] = []
    while len(events) < count:
        events.extend(generator.scenario(start + SPAN * (len(events) / count)))
    events = events[:count] + _markers(generator, now)
    events.sort(key=lambda e: str(e["date"]))
    stored = []
    for event in events:
        when = datetime.fromisoformat(str(event["date"]).replace("Z", "+00:00"))
        log_id = state.log_ids.next_id(when + INGESTION_DELAY)
        stored.append(state.add_event({**event, "log_id": log_id}))
    state.counters.generated += len(stored)
    return stored
