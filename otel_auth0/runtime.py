"""Wires a configuration into a running collector: receivers → intake → persistent queue → exporters."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import OTELResourceDetector, Resource

from otel_auth0 import __version__
from otel_auth0.auth0.probe_errors import KNOWN_ERROR_TYPES
from otel_auth0.config import Config
from otel_auth0.convert.catalog import RATE_LIMIT_CODES
from otel_auth0.convert.mapping import EventConverter
from otel_auth0.convert.wire import AttributeValue, encode_resource
from otel_auth0.detections.processor import build_processor
from otel_auth0.exporters.base import SignalExporter
from otel_auth0.exporters.file import FileExporter
from otel_auth0.exporters.otlp import OtlpExporter
from otel_auth0.fleet import (
    DETECTIONS_JOB,
    build_coordinator,
    build_detections_coordinator,
    build_shared_detections,
    lease_name,
    singleton_receivers,
)
from otel_auth0.health import HealthModel, QueueState
from otel_auth0.instruments import POSTGRES_DAMAGE, SQLITE_DAMAGE, Instruments
from otel_auth0.pipeline.intake import Intake
from otel_auth0.pipeline.worker import DEFAULT_MAX_RETRY_WAIT, ExportWorker
from otel_auth0.processors.redact import build_redactor
from otel_auth0.receivers.base import Receiver
from otel_auth0.receivers.log_stream_config import LogStreamConfig
from otel_auth0.receivers.login_probe import LoginProbeConfig
from otel_auth0.receivers.logs_api_config import LogsApiConfig
from otel_auth0.receivers.probe_guard import BLOCKED_ERROR_TYPE
from otel_auth0.receivers.registry import RECEIVERS, Registry, build_receivers
from otel_auth0.receivers.shared_listener import SharedStreamListener
from otel_auth0.receivers.supervision import ReceiverStatus, supervise
from otel_auth0.runtime_health import CollectorHealth
from otel_auth0.state.backend import StateBackend, open_state
from otel_auth0.state.files import StateDirLock
from otel_auth0.state.lease_runner import LeaseShare
from otel_auth0.state.queue import PersistentQueue, StorageError
from otel_auth0.status_page import StatusPage
from otel_auth0.telemetry_server import TelemetryServer, prometheus_reader

if TYPE_CHECKING:
    from otel_auth0.detections.shared import SharedDetections

log = logging.getLogger(__name__)

SCOPE_VERSION = __version__
HOUSEKEEPING_INTERVAL = 5.0


def resource_attributes(config: Config) -> dict[str, AttributeValue]:
    """``OTEL_RESOURCE_ATTRIBUTES`` plus the tenant; ``service.name`` from ``service_name`` when the file
    sets it, else ``OTEL_SERVICE_NAME``, else ``service.name`` in ``OTEL_RESOURCE_ATTRIBUTES``, else
    the default ``auth0`` (the OpenTelemetry SDK's order, with the file as the code's value)."""
    attributes: dict[str, AttributeValue] = {}
    if config.auth0 is not None:
        if config.auth0.tenant_name is not None:
            attributes["auth0.tenant.name"] = config.auth0.tenant_name
        attributes["auth0.domain"] = config.auth0.domain
    explicit_name = "service_name" in config.model_fields_set
    if explicit_name or "service.name" not in OTELResourceDetector().detect().attributes:
        attributes["service.name"] = config.service_name
    merged = Resource.create(attributes)
    out: dict[str, AttributeValue] = {}
    for key, value in merged.attributes.items():
        out[key] = value if isinstance(value, str | bool | int | float) else [str(v) for v in value or ()]
    return out


def build_exporters(config: Config) -> list[SignalExporter]:
    """The configured exporters (the file exporter when none is)."""
    exporters: list[SignalExporter] = []
    if config.exporters.otlp is not None:
        exporters.append(OtlpExporter(config.exporters.otlp))
    if config.exporters.file is not None:
        exporters.append(FileExporter(config.exporters.file.path))
    return exporters


def exporter_mask(config: Config) -> int:
    """The queue's bits of the configured exporters (one per exporter kind)."""
    mask = 0
    if config.exporters.otlp is not None:
        mask |= OtlpExporter.bit
    if config.exporters.file is not None:
        mask |= FileExporter.bit
    return mask


def _max_retry_wait(config: Config) -> float:
    """``exporters.otlp.max_retry_wait`` (the file exporter never announces a wait)."""
    otlp = config.exporters.otlp
    return otlp.max_retry_wait if otlp is not None else DEFAULT_MAX_RETRY_WAIT


def build_converter(config: Config) -> EventConverter:
    """The event converter for this configuration."""
    tenant = (config.auth0.tenant_name if config.auth0 is not None else None) or ""
    return EventConverter(
        tenant=tenant, telemetry=config.telemetry, redactor=build_redactor(config.processors.redact)
    )


@dataclass
class Pipeline:
    """Everything between receivers and backends, without the receivers."""

    config: Config
    queue: StateBackend
    exporters: list[SignalExporter]
    workers: list[ExportWorker]
    meter_provider: MeterProvider
    instruments: Instruments
    intake: Intake
    state_lock: StateDirLock | None = None
    owns_exporters: bool = True

    @classmethod
    def create(
        cls,
        config: Config,
        metric_readers: Sequence[MetricReader] = (),
        export: bool = True,
        attributes: dict[str, AttributeValue] | None = None,
        exporters: Sequence[SignalExporter] | None = None,
    ) -> Pipeline:
        """Open the queue under ``state_dir`` and build exporters, metrics (with ``metric_readers``
        besides one per exporter) and workers; with ``export`` off, no exporter, exporter metric
        reader or worker (the queue then only keeps checkpoints). ``attributes`` (the resource) and
        ``exporters`` (shared with other pipelines, which then leave their shutdown to the caller)
        are built from ``config`` when not given."""
        owns_exporters = exporters is None
        exporters = list(exporters) if exporters is not None else build_exporters(config) if export else []
        state_lock = StateDirLock(config.state_dir)
        state_lock.acquire()  # one process per state_dir: StateError naming the holder otherwise
        try:
            queue = open_state(config, exporter_mask(config))
        except BaseException:
            state_lock.release()
            raise
        attributes = resource_attributes(config) if attributes is None else attributes
        readers = [
            PeriodicExportingMetricReader(
                exporter.metric_exporter(), export_interval_millis=config.telemetry.metrics_interval * 1000
            )
            for exporter in exporters
        ]
        meter_provider = MeterProvider(
            metric_readers=[*readers, *metric_readers], resource=Resource.create(dict(attributes))
        )
        instruments = Instruments(meter_provider.get_meter("otel_auth0", SCOPE_VERSION))
        resource = encode_resource(attributes)
        workers = [
            ExportWorker(
                queue,
                exporter,
                resource,
                SCOPE_VERSION,
                instruments,
                batch_size=config.queue.batch_size,
                max_backoff=config.queue.max_backoff,
                max_retry_wait=_max_retry_wait(config),
            )
            for exporter in exporters
        ]
        intake = Intake(
            queue,
            build_converter(config),
            instruments,
            on_enqueued=lambda: _notify(workers),
            detector=build_processor(config, instruments) if export else None,
        )
        # 0 unless SQLite lost committed records with its write-ahead log (PostgreSQL keeps its own).
        instruments.queue_lost.add(queue.sequence.lost if isinstance(queue, PersistentQueue) else 0)
        return cls(
            config, queue, exporters, workers, meter_provider, instruments, intake, state_lock, owns_exporters
        )

    def start(self) -> None:
        """Start the export workers."""
        for worker in self.workers:
            worker.start()

    def record_health(self) -> None:
        """Queue gauges and counters; absence detections."""
        self.intake.tick_detections()
        size = self.queue.size
        self.instruments.queue_size.set(size)
        for exporter in self.exporters:
            only = {"otel_auth0.exporter": exporter.name}
            self.instruments.exporter_queue_size.set(size, only)
            self.instruments.exporter_queue_capacity.set(self.config.queue.max_items, only)
        self.instruments.queue_bytes.set(self.queue.stored_bytes)
        self.instruments.queue_capacity_bytes.set(self.config.queue.max_bytes)
        caps = self.config.queue
        fill = QueueState(size, caps.max_items, None, self.queue.stored_bytes, caps.max_bytes).fill_ratio
        self.instruments.queue_fill_ratio.set(fill)
        self.instruments.queue_oldest_age.set(self.queue.oldest_age())
        # Added even when 0, so the series exists and shows that nothing was dropped.
        dropped, self.queue.dropped = self.queue.dropped, 0
        self.instruments.queue_dropped.add(dropped)
        if dropped:
            log.warning(
                "queue: full_policy drop_oldest discarded %d records (the oldest) to make room for new input",
                dropped,
            )

    def drain_and_close(self, deadline_seconds: float) -> bool:
        """Flush the queue to every exporter within the deadline, flush metrics, close; True when empty."""
        deadline = time.monotonic() + deadline_seconds
        drained = all(worker.drain(deadline) for worker in self.workers)
        for worker in self.workers:
            worker.stop(timeout=max(0.1, deadline - time.monotonic()))
        self.record_health()
        if self.intake.detector is not None:
            self.intake.detector.close()
        try:
            self.meter_provider.shutdown(timeout_millis=max(1000, (deadline - time.monotonic()) * 1000))
        except Exception as error:  # a reader missing the deadline must not lose the queue's close
            log.warning("metrics not flushed on shutdown: %s", error)
        for exporter in self.exporters if self.owns_exporters else ():
            exporter.shutdown()
        self.queue.close()
        if self.state_lock is not None:
            self.state_lock.release()
        if not drained:
            log.warning("shutdown deadline reached with records still queued; kept for the next start")
        return drained

    def pending_by_exporter(self) -> Mapping[str, bool]:
        """Whether each exporter still has queued records."""
        return {worker.exporter_name: worker.pending() for worker in self.workers}


def _notify(workers: list[ExportWorker]) -> None:
    for worker in workers:
        worker.notify()


class Collector:
    """``otel-auth0 run``: supervised receivers until stopped, then drain and flush; health and
    metrics on ``telemetry.listen``."""

    def __init__(
        self,
        config: Config,
        registry: Registry = RECEIVERS,
        *,
        metric_readers: Sequence[MetricReader] = (),
        attributes: dict[str, AttributeValue] | None = None,
        exporters: Sequence[SignalExporter] | None = None,
        stream_listener: SharedStreamListener | None = None,
        lease_share: LeaseShare | None = None,
    ) -> None:
        """One tenant's collector; a tenant of a ``tenants:`` list passes its ``metric_readers``,
        resource ``attributes``, the shared ``exporters``, Log Stream listener and ``lease_share``
        (:mod:`otel_auth0.tenants`)."""
        self.config = config
        readers: list[MetricReader] = list(metric_readers)
        self.telemetry_server: TelemetryServer | None = None
        self.health = HealthModel(config.telemetry.health, CollectorHealth(self))
        if config.telemetry.listen is not None:
            reader, prometheus_registry = prometheus_reader()
            readers.append(reader)
            limits = (prometheus_registry, config.telemetry.max_connections, config.telemetry.header_timeout)
            self.telemetry_server = TelemetryServer(config.telemetry.listen, self.health, *limits)
        self.pipeline = Pipeline.create(config, readers, attributes=attributes, exporters=exporters)
        built = build_receivers(
            config.receivers,
            config.auth0,
            self.pipeline.intake,
            self.pipeline.instruments,
            registry,
            state_dir=config.state_dir,
            listener=stream_listener,
        )
        self.receivers = [receiver for receiver, _ in built]
        self._statuses = {services.name: services.status for _, services in built}
        names = [receiver.name for receiver in self.receivers]
        meter = self.pipeline.meter_provider.get_meter("otel_auth0", SCOPE_VERSION)
        self.leases = build_coordinator(config, self.pipeline.queue, names, meter, lease_share)
        self._leased = set(singleton_receivers(config, names)) if self.leases is not None else set()
        # On a fleet: the tenant's detections, evaluated by the holder of its detections lease.
        pipeline = self.pipeline
        self.detections = build_shared_detections(
            config,
            pipeline.queue,
            pipeline.intake.detector,
            pipeline.instruments,
            lambda: _notify(pipeline.workers),
        )
        self.detection_leases = (
            build_detections_coordinator(config, self.leases)
            if self.leases is not None and self.detections is not None
            else None
        )
        self.health.leases = self.lease_report if self.leases is not None else None
        if self.telemetry_server is not None:
            self.telemetry_server.status = StatusPage(self, prometheus_registry)
        probe_error_types = (
            (*KNOWN_ERROR_TYPES, BLOCKED_ERROR_TYPE)
            if config.receivers.section(LoginProbeConfig) is not None
            else ()
        )
        tenant_logs = (
            config.receivers.section(LogsApiConfig) is not None
            or config.receivers.section(LogStreamConfig) is not None
        )
        self.pipeline.instruments.start_at_zero(
            [exporter.name for exporter in self.pipeline.exporters],
            [receiver.name for receiver in self.receivers],
            probe_error_types,
            sorted(RATE_LIMIT_CODES) if tenant_logs else (),
            POSTGRES_DAMAGE if config.state.backend == "postgres" else SQLITE_DAMAGE,
        )

    def receiver_statuses(self) -> Mapping[str, ReceiverStatus]:
        """Each receiver's supervision state by name (running, restarts, last error, last success)."""
        return self._statuses

    async def run(self, stop: asyncio.Event) -> bool:
        """Run until ``stop`` is set; returns True when the queue was fully flushed on the way out."""
        self.pipeline.start()
        if self.telemetry_server is not None:
            await self.telemetry_server.start(self.pipeline.instruments)
        tasks = [
            asyncio.create_task(self._run_receiver(receiver, stop), name=receiver.name)
            for receiver in self.receivers
        ]
        if self.leases is not None:
            tasks.append(asyncio.create_task(self.leases.heartbeat(stop), name="lease-heartbeat"))
            if self.detection_leases is not None and self.detections is not None:
                lease = lease_name(self.config, DETECTIONS_JOB)
                work = self.detection_leases.run(lease, self.detections.run, stop)
                tasks.append(asyncio.create_task(work, name=lease))
        housekeeping = asyncio.create_task(self._housekeeping(stop))
        try:
            await stop.wait()
        finally:
            self.health.stopping = True
            results = await asyncio.gather(*tasks, housekeeping, return_exceptions=True)
            for receiver, result in zip(self.receivers, results, strict=False):
                if isinstance(result, BaseException):
                    log.error("receiver %s ended with %r", receiver.name, result)
        try:
            return await asyncio.to_thread(self.pipeline.drain_and_close, self.config.queue.shutdown_deadline)
        finally:
            # Listeners (log_stream) keep answering 503 while the queue drains, then close.
            for receiver in self.receivers:
                await receiver.shutdown()
            if self.telemetry_server is not None:
                await self.telemetry_server.aclose()

    async def _run_receiver(self, receiver: Receiver, stop: asyncio.Event) -> None:
        """Supervise ``receiver``; on a fleet, singleton receivers run only while this replica holds
        their lease."""
        status, instruments = self._statuses[receiver.name], self.pipeline.instruments

        def supervised(until: asyncio.Event) -> Coroutine[Any, Any, None]:
            return supervise(receiver.name, receiver.run, until, status, instruments)

        if self.leases is None or receiver.name not in self._leased:
            await supervised(stop)
        else:
            await self.leases.run(lease_name(self.config, receiver.name), supervised, stop)

    def holds_lease(self, receiver: str) -> bool:
        """Whether this replica runs ``receiver`` (or the detections job) now (always, without a fleet)."""
        if receiver == DETECTIONS_JOB:
            leases = self.detection_leases
        else:
            leases = self.leases if receiver in self._leased else None
        return leases is None or lease_name(self.config, receiver) in leases.held

    def lease_report(self) -> list[dict[str, object]]:
        """Every lease, its holder and epoch, and whether it is this replica's (``/readyz``)."""
        if self.leases is None:
            return []
        me = self.leases.book.holder
        return [
            {
                "lease": h.name,
                "holder": h.holder,
                "epoch": h.epoch,
                "mine": h.holder == me and h.seconds_left > 0,
                "seconds_left": round(h.seconds_left, 1),
            }
            for h in self.leases.holdings()
        ]

    async def _housekeeping(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.to_thread(self.pipeline.record_health)
            if self.leases is not None:
                for lease, count in getattr(self.pipeline.queue, "drain_fenced", dict)().items():
                    self.leases.instruments.fenced_commits.add(count, {"otel_auth0.lease": lease})
            if self.detections is not None:
                await asyncio.to_thread(self._record_backlog, self.detections)
            try:
                await asyncio.wait_for(stop.wait(), HOUSEKEEPING_INTERVAL)
            except TimeoutError:
                await asyncio.to_thread(self._maintain_queue)

    def _record_backlog(self, detections: SharedDetections) -> None:
        """The detection inbox's length (every replica reports it: the inbox is the fleet's)."""
        try:
            self.pipeline.instruments.detections_backlog.set(detections.backlog())
        except StorageError as error:
            log.debug("detection backlog not read: %s", error)

    def _maintain_queue(self) -> None:
        """Prune the dedupe window and give space back after a large drain (skipped while storage fails)."""
        try:
            self.pipeline.queue.prune_seen()
            self.pipeline.queue.compact()
        except (sqlite3.Error, StorageError) as error:
            log.warning("queue maintenance skipped: %s", error)
