"""``otel-auth0 run`` with a ``tenants:`` list: one :class:`~otel_auth0.runtime.Collector` per tenant
(its receivers, intake, converter with the tenant's resource, queue and checkpoints under
``state_dir/tenants/<name>`` or, on PostgreSQL, in the tenant's own schema, export workers and OTLP
connections) in one process, sharing the exporter settings and the file exporter's writer, one Log
Stream listener per address (each tenant on its own path), on PostgreSQL one lease share and replica
name, and the telemetry server: ``/readyz`` gathers every tenant's reasons, each prefixed with the
tenant (and every tenant's leases); ``/metrics`` labels every series with ``auth0_tenant``;
``/status`` shows a summary and every tenant's sections; the process's log lines written while
serving a tenant start with ``tenant <name>:``. Each tenant's receivers are supervised on their own,
so one failing tenant never holds up another."""

from __future__ import annotations

import asyncio
import contextvars
import copy
import logging
from collections.abc import Iterable, Sequence

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector as PrometheusCollector

from otel_auth0.config import Config, HealthConfig
from otel_auth0.config.collector import TenantConfig
from otel_auth0.config.tenants import LOG_STREAM, tenant_view
from otel_auth0.convert.wire import AttributeValue
from otel_auth0.exporters.base import SignalExporter
from otel_auth0.exporters.file import FileExporter
from otel_auth0.exporters.otlp import OtlpExporter
from otel_auth0.health import ExporterState, HealthModel, QueueState, ReceiverState
from otel_auth0.http_listen import ListenerLimits
from otel_auth0.receivers.log_stream_config import LogStreamConfig
from otel_auth0.receivers.registry import RECEIVERS, Registry
from otel_auth0.receivers.shared_listener import SharedStreamListener
from otel_auth0.runtime import Collector, resource_attributes
from otel_auth0.state.lease_runner import LeaseShare
from otel_auth0.status_page import StatusPage
from otel_auth0.telemetry_server import TelemetryServer, prometheus_reader
from otel_auth0.tenants_status import TenantsStatusPage

log = logging.getLogger(__name__)

TENANT_LABEL = "auth0_tenant"
# The tenant whose work the current task (or the thread it started) does, for log lines.
CURRENT_TENANT: contextvars.ContextVar[str | None] = contextvars.ContextVar("otel_auth0_tenant", default=None)


class TenantLogFilter(logging.Filter):
    """Starts each log line written in a tenant's context with ``tenant <name>: ``."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Prefix the message once (a record may pass several handlers)."""
        tenant = CURRENT_TENANT.get()
        if tenant is not None and not getattr(record, "otel_auth0_tenant", None):
            record.otel_auth0_tenant = tenant
            record.msg = f"tenant {tenant}: {record.msg}"
        return True


def tenant_attributes(view: Config, tenant: TenantConfig) -> dict[str, AttributeValue]:
    """The resource of one tenant: the file's (``OTEL_RESOURCE_ATTRIBUTES``, service name), the entry's
    ``resource_attributes``, then ``auth0.tenant.name`` (``auth0.tenant``, else the entry's name) and
    ``auth0.domain``, which nothing overrides."""
    attributes = resource_attributes(view)
    attributes.update(tenant.resource_attributes)
    attributes["auth0.tenant.name"] = (view.auth0.tenant_name if view.auth0 else None) or tenant.name
    if view.auth0 is not None:
        attributes["auth0.domain"] = view.auth0.domain
    return attributes


class TenantLabelledMetrics(PrometheusCollector):
    """Every tenant's self-metrics in one exposition, each sample labelled with its tenant."""

    def __init__(self) -> None:
        self._tenants: list[tuple[str, CollectorRegistry]] = []

    def add(self, tenant: str, registry: CollectorRegistry) -> None:
        """Include ``registry``'s families as ``tenant``'s."""
        self._tenants.append((tenant, registry))

    def collect(self) -> Iterable[Metric]:
        """Families merged by name across tenants."""
        merged: dict[str, Metric] = {}
        for tenant, registry in self._tenants:
            for family in registry.collect():
                into = merged.get(family.name)
                if into is None:
                    into = merged[family.name] = copy.copy(family)
                    into.samples = []
                label = {TENANT_LABEL: tenant}
                into.samples.extend(
                    sample._replace(labels={**sample.labels, **label}) for sample in family.samples
                )
        return list(merged.values())


class _NoFacts:
    """The tenants' facts are in their own health models; the whole has none of its own."""

    def exporters(self) -> Sequence[ExporterState]:
        return []

    def receivers(self) -> Sequence[ReceiverState]:
        return []

    def queue(self) -> QueueState:
        return QueueState(0, 1)


class TenantsHealthModel(HealthModel):
    """``/readyz`` of a tenants list: every tenant's reasons, each naming its tenant."""

    def __init__(self, config: HealthConfig, tenants: Sequence[tuple[str, HealthModel]]) -> None:
        super().__init__(config, _NoFacts())
        self._tenants = tenants

    def reasons(self, now: float | None = None) -> list[str]:
        """The process's reasons, then each tenant's as ``tenant NAME: reason``."""
        reasons = super().reasons(now)
        for name, health in self._tenants:
            reasons.extend(f"tenant {name}: {reason}" for reason in health.reasons(now))
        return reasons


class TenantsCollector:
    """Every tenant of ``config.tenants`` in one process (see the module's documentation)."""

    def __init__(self, config: Config, registry: Registry = RECEIVERS) -> None:
        if not config.tenants:
            raise ValueError("tenants: lists no tenant")
        self.config = config
        self.telemetry_server: TelemetryServer | None = None
        labelled = TenantLabelledMetrics()
        exposed = CollectorRegistry(auto_describe=False)
        exposed.register(labelled)
        self.listeners: dict[str, SharedStreamListener] = {}
        self.tenants: dict[str, Collector] = {}
        # One file writer for every tenant; OTLP connections per tenant, so one tenant's reconnect
        # after an outage never cancels another's export in flight.
        shared: list[SignalExporter] = []
        if config.exporters.file is not None:
            shared.append(FileExporter(config.exporters.file.path))
        self.exporters: list[SignalExporter] = list(shared)
        healths: list[tuple[str, HealthModel]] = []
        pages: list[StatusPage] = []
        self.health = TenantsHealthModel(config.telemetry.health, healths)
        # On PostgreSQL: one replica name for every tenant's leases and claims, and one lease share,
        # so a replica's fair share counts every tenant's leases together.
        lease_share: LeaseShare | None = None
        state = config.state
        if state.backend == "postgres":
            from otel_auth0.state.postgres_queue import replica_name  # psycopg only when chosen

            lease_share = LeaseShare()
            state = state.model_copy(update={"replica_id": replica_name(state.replica_id)})
            self.health.leases = self.lease_report
        if config.telemetry.listen is not None:
            self.telemetry_server = TelemetryServer(
                config.telemetry.listen,
                self.health,
                exposed,
                config.telemetry.max_connections,
                config.telemetry.header_timeout,
            )
        for tenant in config.tenants:
            view = tenant_view(config.model_copy(update={"state": state}), tenant)
            own: list[SignalExporter] = []
            if config.exporters.otlp is not None:
                own.append(OtlpExporter(config.exporters.otlp))
            self.exporters.extend(own)
            readers = []
            tenant_registry = None
            if self.telemetry_server is not None:
                reader, tenant_registry = prometheus_reader()
                readers.append(reader)
                labelled.add(tenant.name, tenant_registry)
            collector = Collector(
                view,
                registry,
                metric_readers=readers,
                attributes=tenant_attributes(view, tenant),
                exporters=[*own, *shared],
                stream_listener=self._listener(view),
                lease_share=lease_share,
            )
            self.tenants[tenant.name] = collector
            healths.append((tenant.name, collector.health))
            if tenant_registry is not None:
                pages.append(StatusPage(collector, tenant_registry, tenant=tenant.name))
        if self.telemetry_server is not None:
            self.telemetry_server.status = TenantsStatusPage(pages)

    def lease_report(self) -> list[dict[str, object]]:
        """Every tenant's leases, their holders and epochs (``/readyz``)."""
        return [entry for collector in self.tenants.values() for entry in collector.lease_report()]

    def _listener(self, view: Config) -> SharedStreamListener | None:
        """The listener on the address of ``view``'s Log Stream (created by its first tenant)."""
        stream = view.receivers.get(LOG_STREAM)
        if not isinstance(stream, LogStreamConfig):
            return None
        if stream.listen not in self.listeners:
            limits = ListenerLimits(
                "log_stream",
                f"receivers.log_stream on {stream.listen}",
                stream.max_connections,
                stream.header_timeout,
                stream.max_header_bytes,
                stream.max_headers,
            )
            self.listeners[stream.listen] = SharedStreamListener(stream.listen, limits)
        return self.listeners[stream.listen]

    async def run(self, stop: asyncio.Event) -> bool:
        """Run every tenant until ``stop``; True when every tenant's queue was fully flushed."""
        for listener in self.listeners.values():
            await listener.start()
        if self.telemetry_server is not None:
            await self.telemetry_server.start()
        log_filter = TenantLogFilter()
        handlers = list(logging.getLogger().handlers)
        for handler in handlers:
            handler.addFilter(log_filter)
        try:
            results = await asyncio.gather(
                *(self._in_context(name, collector, stop) for name, collector in self.tenants.items()),
                return_exceptions=True,
            )
        finally:
            for handler in handlers:
                handler.removeFilter(log_filter)
            self.health.stopping = True
            for listener in self.listeners.values():
                await listener.aclose()
            for exporter in self.exporters:
                exporter.shutdown()
            if self.telemetry_server is not None:
                await self.telemetry_server.aclose()
        for name, result in zip(self.tenants, results, strict=True):
            if isinstance(result, BaseException):
                log.error("tenant %s ended with %r", name, result)
        return all(result is True for result in results)

    @staticmethod
    def _in_context(name: str, collector: Collector, stop: asyncio.Event) -> asyncio.Task[bool]:
        """``collector.run(stop)`` as a task whose context (inherited by every task and worker thread
        it starts through asyncio) names the tenant."""
        context = contextvars.copy_context()
        context.run(CURRENT_TENANT.set, name)
        return asyncio.create_task(collector.run(stop), name=f"tenant-{name}", context=context)
