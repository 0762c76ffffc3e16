"""Metrics derived from enqueued events: ``auth0.log.events``, ``auth0.rate_limit.events``,
``auth0.log.unknown_types`` and ``auth0.transaction.duration``, with the optional connection and client
dimensions (``telemetry.metric_dimensions``) held below ``telemetry.cardinality_limit``."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from typing import Final

from otel_auth0.config import TelemetryConfig
from otel_auth0.convert.mapping import EventFacts
from otel_auth0.instruments import Instruments

OVERFLOW: Final = "_other"


class CardinalityCap:
    """Admits the first ``limit`` distinct values; later new values become ``_other``."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def admit(self, value: str) -> str:
        """``value`` itself when already seen or below the limit, else ``_other``."""
        with self._lock:
            if value in self._seen:
                return value
            if len(self._seen) < self._limit:
                self._seen.add(value)
                return value
        return OVERFLOW


class EventMetrics:
    """Records the metrics of one accepted event."""

    def __init__(self, instruments: Instruments, telemetry: TelemetryConfig) -> None:
        limit = telemetry.cardinality_limit
        dimensions = telemetry.metric_dimensions
        self._instruments = instruments
        self._unknown_codes = CardinalityCap(limit)
        self._connections = CardinalityCap(limit) if "connection" in dimensions else None
        self._clients = CardinalityCap(limit) if "client" in dimensions else None

    def attributes(self, facts: EventFacts) -> dict[str, str]:
        """``auth0.log.type/category/outcome`` plus the enabled dimensions present on the event."""
        log_type = facts.log_type
        attributes = {
            "auth0.log.type": self._code(facts),
            "auth0.log.category": log_type.category,
            "auth0.log.outcome": log_type.outcome,
        }
        if self._connections is not None and facts.connection:
            attributes["auth0.connection"] = self._connections.admit(facts.connection)
        if self._clients is not None and facts.client_id:
            client = self._clients.admit(facts.client_id)
            attributes["auth0.client.id"] = client
            if client != OVERFLOW and facts.client_name:
                attributes["auth0.client.name"] = facts.client_name
        return attributes

    def _code(self, facts: EventFacts) -> str:
        """Catalog codes as they are; codes unknown to the catalog are capped too."""
        code = facts.log_type.code
        return code if facts.log_type.known else self._unknown_codes.admit(code)

    def record(self, facts: EventFacts) -> None:
        """Count one event (and its duration when it was timed)."""
        self.record_batch([facts])

    def record_batch(self, batch: Iterable[EventFacts]) -> None:
        """Count a batch of events: one ``add`` per distinct attribute set instead of one per event."""
        events: Counter[tuple[tuple[str, str], ...]] = Counter()
        rate_limited: Counter[str] = Counter()
        unknown: Counter[str] = Counter()
        for facts in batch:
            log_type = facts.log_type
            attributes = self.attributes(facts)
            events[tuple(attributes.items())] += 1
            if log_type.rate_limit:
                rate_limited[log_type.code] += 1
            if not log_type.known:
                unknown[attributes["auth0.log.type"]] += 1
            if facts.duration_s is not None:
                self._instruments.transaction_duration.record(facts.duration_s, attributes)
        for key, count in events.items():
            self._instruments.log_events.add(count, dict(key))
        for code, count in rate_limited.items():
            self._instruments.rate_limit_events.add(count, {"auth0.log.type": code})
        for code, count in unknown.items():
            self._instruments.unknown_types.add(count, {"auth0.log.type": code})
