"""What the running collector tells its health model (:mod:`otel_auth0.health`): each export worker's
failure state, each receiver's supervision state and last success, the queue's fill."""

from __future__ import annotations

from typing import TYPE_CHECKING

from otel_auth0.config.receivers import PeriodicSettings
from otel_auth0.health import ExporterState, QueueState, ReceiverState, receiver_stale_after

if TYPE_CHECKING:
    from otel_auth0.runtime import Collector

class CollectorHealth:
    """The running collector's facts for :class:`~otel_auth0.health.HealthModel`."""

    def __init__(self, collector: Collector) -> None:
        self._collector = collector

    def exporters(self) -> list[ExporterState]:
        """Each export worker's failure state."""
        workers = self._collector.pipeline.workers
        return [
            ExporterState(worker.exporter_name, worker.failing_since, worker.announced_wait)
            for worker in workers
        ]

    def receivers(self) -> list[ReceiverState]:
        """Each receiver's supervision state and last success. Staleness is not checked for log_stream
        (a quiet tenant sends nothing) nor the probes, whose success is the tenant's health, not the
        collector's (their alerts cover it)."""
        collector = self._collector
        states = []
        for name, status in collector.receiver_statuses().items():
            settings = collector.config.receivers.get(name)
            interval = None
            if isinstance(settings, PeriodicSettings) and not settings.measures_tenant:
                interval = settings.interval
            stale_after = receiver_stale_after(collector.config.telemetry.health, interval)
            if not collector.holds_lease(name):
                stale_after = None  # another replica runs it (its lease is elsewhere)
            states.append(
                ReceiverState(
                    name,
                    status.last_success,
                    stale_after,
                    status.restarting,
                    status.restarts,
                    status.last_error,
                    status.setup_problem,
                )
            )
        return states

    def queue(self) -> QueueState:
        """The persistent queue's fill and whether its store (file or state database) can be written."""
        queue, config = self._collector.pipeline.queue, self._collector.config
        return QueueState(
            queue.size,
            config.queue.max_items,
            queue.storage_error,
            queue.stored_bytes,
            config.queue.max_bytes,
            database=config.state.backend == "postgres",
        )
