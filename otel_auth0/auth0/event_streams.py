"""Event Streams delivery history and redelivery through Auth0's SDK (``read:event_streams`` and
``update:event_streams``): ``GET /api/v2/event-streams/{id}/deliveries`` lists an event stream's failed
deliveries, ``POST /api/v2/event-streams/{id}/redeliver/{event_id}`` asks Auth0 to deliver one again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from otel_auth0.auth0.sdk import PAGE_SIZE, SdkSession, call, every_item


@dataclass(frozen=True, slots=True)
class FailedDelivery:
    """One failed delivery: the event's id, type and time, and how many attempts Auth0 made."""

    event_id: str
    event_type: str
    event_time: datetime | None
    attempts: int


def api_time(moment: datetime) -> str:
    """An RFC 3339 instant as the deliveries filter takes it: UTC, whole seconds (``...T12:00:00Z``)."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def failed_deliveries(session: SdkSession, stream_id: str, since: datetime) -> list[FailedDelivery]:
    """Every failed delivery of ``stream_id`` from ``since`` on, all pages."""
    pager = call(
        lambda: session.api.event_streams.deliveries.list(
            stream_id, statuses="failed", date_from=api_time(since), take=PAGE_SIZE
        )
    )
    deliveries = call(lambda: every_item(pager))
    failed = []
    for delivery in deliveries:
        event = delivery.event
        event_id = (event.id if event is not None else None) or delivery.id
        moment = event.time if event is not None else None
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        failed.append(
            FailedDelivery(
                event_id=event_id,
                event_type=str(delivery.event_type),
                event_time=moment,
                attempts=len(delivery.attempts or []),
            )
        )
    return failed


def redeliver(session: SdkSession, stream_id: str, event_id: str) -> None:
    """Ask Auth0 to deliver one failed event again (it answers 202 and delivers asynchronously)."""
    call(lambda: session.api.event_streams.redeliveries.create_by_id(stream_id, event_id))
