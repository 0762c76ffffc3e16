"""A fleet of replicas on the PostgreSQL state backend: which receivers are singleton work (one lease
per tenant and receiver, plus one per tenant for its detections) and the coordinator that runs this
replica's share of them. The Log Stream is not singleton: every replica serves it, deduplicating
through the shared index (and handing what the rules must see to the detections lease holder)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from opentelemetry.metrics import Meter

from otel_auth0.config import Config
from otel_auth0.detections.processor import DetectionProcessor
from otel_auth0.instruments import Instruments
from otel_auth0.receivers.log_stream_config import LogStreamConfig
from otel_auth0.state.backend import StateBackend
from otel_auth0.state.lease_runner import LeaseCoordinator, LeaseInstruments, LeaseShare

if TYPE_CHECKING:
    from otel_auth0.detections.shared import SharedDetections

# Receivers every replica runs at once (push receivers behind a load balancer).
ACTIVE_ACTIVE: frozenset[type] = frozenset({LogStreamConfig})
# The singleton job that evaluates a tenant's detection rules (lease ``<tenant>/detections``).
DETECTIONS_JOB = "detections"


def tenant_label(config: Config) -> str:
    """The tenant part of lease names: ``auth0.tenant_name``, else the domain, else ``default``."""
    if config.auth0 is None:
        return "default"
    return config.auth0.tenant_name or config.auth0.domain


def lease_name(config: Config, receiver: str) -> str:
    """The lease of one tenant's receiver: ``<tenant>/<receiver>``."""
    return f"{tenant_label(config)}/{receiver}"


def singleton_receivers(config: Config, names: Sequence[str]) -> list[str]:
    """The receivers among ``names`` that run under a lease (all but the active-active ones)."""
    out = []
    for name in names:
        settings = config.receivers.get(name)
        if settings is not None and type(settings) in ACTIVE_ACTIVE:
            continue
        out.append(name)
    return out


def build_coordinator(
    config: Config,
    queue: StateBackend,
    receivers: Sequence[str],
    meter: Meter,
    share: LeaseShare | None = None,
) -> LeaseCoordinator | None:
    """The lease coordinator when ``state.backend`` is postgres (``None`` with SQLite: one process owns
    its ``state_dir`` and runs everything); the tenants of a ``tenants:`` list pass one ``share``."""
    if config.state.backend != "postgres":
        return None
    from otel_auth0.state.postgres_leases import PostgresLeases
    from otel_auth0.state.postgres_queue import PostgresQueue

    assert isinstance(queue, PostgresQueue)
    book = PostgresLeases(queue.pool, queue.holder, config.state.lease_time)
    names = [lease_name(config, name) for name in singleton_receivers(config, receivers)]
    return LeaseCoordinator(book, names, LeaseInstruments(meter), share)


def build_detections_coordinator(config: Config, leases: LeaseCoordinator) -> LeaseCoordinator:
    """The coordinator of the tenant's detections lease: the book, instruments and live replicas of
    ``leases`` (the receivers'), its own share, so detections leases spread over the replicas as a set
    apart from the pollers'."""
    share = leases.share.kind(DETECTIONS_JOB)
    name = lease_name(config, DETECTIONS_JOB)
    return LeaseCoordinator(leases.book, [name], leases.instruments, share, heartbeats=leases)


def build_shared_detections(
    config: Config,
    queue: StateBackend,
    processor: DetectionProcessor | None,
    instruments: Instruments,
    on_enqueued: Callable[[], None],
) -> SharedDetections | None:
    """The detections job of a fleet (``None`` with SQLite or without detections): it runs on the holder
    of the tenant's ``detections`` lease, over the state database's inbox and window state."""
    if config.state.backend != "postgres" or processor is None or not processor.shared:
        return None
    from otel_auth0.detections.shared import SharedDetections
    from otel_auth0.state.postgres_detections import PostgresDetections
    from otel_auth0.state.postgres_queue import PostgresQueue

    assert isinstance(queue, PostgresQueue)
    return SharedDetections(processor, PostgresDetections(queue), instruments, on_enqueued)
