"""The receiver contract: what a receiver is given (its settings and :class:`Services`), what it must
offer the runtime (:class:`Receiver`) and how the runtime creates it (:class:`ReceiverFactory`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from otel_auth0.config.auth0 import Auth0Config
from otel_auth0.config.receivers import ReceiverSettings
from otel_auth0.convert.events import Event
from otel_auth0.convert.mapping import Converted
from otel_auth0.detections.engine import Observed
from otel_auth0.instruments import Instruments
from otel_auth0.receivers.shared_listener import SharedStreamListener
from otel_auth0.receivers.stream_progress import StreamProgress
from otel_auth0.receivers.supervision import ReceiverStatus
from otel_auth0.state.checkpoints import Checkpoint
from otel_auth0.state.queue import EnqueueResult, ParkedEvent

SettingsT = TypeVar("SettingsT", bound=ReceiverSettings)


class ReceiverIntake(Protocol):
    """The narrow door into the pipeline (implemented by :class:`~otel_auth0.pipeline.intake.Intake`):
    receivers convert-and-enqueue and keep their positions; they never see the queue itself.
    Both submits raise :class:`~otel_auth0.state.queue.QueueFull` without side effects."""

    def submit_events(
        self,
        events: Sequence[Event],
        receiver: str,
        checkpoint: tuple[str, str] | None = None,
        parked: Sequence[ParkedEvent] = (),
    ) -> EnqueueResult:
        """Convert Auth0 events and enqueue them with ``checkpoint`` in one transaction; events that
        cannot be converted are parked with ``parked`` (items that are not Auth0 events)."""

    def submit_cloud_events(
        self, events: Sequence[Event], receiver: str, checkpoint: tuple[str, str] | None = None
    ) -> EnqueueResult:
        """Convert validated Auth0 Event Streams CloudEvents and enqueue them, deduplicated by event id."""

    def submit_converted(
        self,
        converted: Sequence[Converted],
        scope: str,
        checkpoint: tuple[str, str] | None = None,
        observed: Sequence[Observed] = (),
    ) -> EnqueueResult:
        """Enqueue telemetry the receiver built itself (``observed`` goes to the detection rules)."""

    def get_checkpoint(self, name: str) -> Checkpoint | None:
        """A stored position, or ``None``."""

    def set_checkpoint(self, name: str, value: str) -> None:
        """Store a position outside an enqueue."""


@dataclass
class Services:
    """What the runtime hands one receiver besides its own settings.

    ``auth0`` is the tenant section (``None`` when absent); ``stream_progress`` is shared between the
    log_stream and logs_api receivers and is ``None`` unless log_stream is configured; ``listener`` is
    the Log Stream listener tenants share (``None``: the Log Stream binds its own)."""

    name: str
    intake: ReceiverIntake
    instruments: Instruments
    auth0: Auth0Config | None = None
    stream_progress: StreamProgress | None = None
    status: ReceiverStatus = field(default_factory=ReceiverStatus)
    state_dir: Path | None = None  # for the secret key of credential fingerprints
    listener: SharedStreamListener | None = None

    @property
    def source(self) -> dict[str, str]:
        """The ``otel_auth0.receiver`` attribute of this receiver's telemetry."""
        return {"otel_auth0.receiver": self.name}

    def require_auth0(self) -> Auth0Config:
        """The tenant section; ValueError when absent."""
        if self.auth0 is None:
            raise ValueError(f"auth0: required when receivers.{self.name} is on")
        return self.auth0

    def succeeded(self) -> None:
        """Record a success (``otel_auth0.receiver.last_success`` and the receiver's status)."""
        now = time.time()
        self.status.last_success = now
        self.status.setup_problem = None
        self.instruments.receiver_last_success.set(now, self.source)

    def failed(self, error: Exception | str, error_type: str) -> None:
        """Count a failure in ``otel_auth0.receiver.errors`` and keep it as the last error."""
        self.status.record_error(str(error))
        self.instruments.receiver_errors.add(1, {**self.source, "error.type": error_type})


class Receiver(Protocol):
    """A source the runtime drives: ``run`` until ``stop`` is set (may be called again after it raised,
    to restart), then ``shutdown`` once, after the queue was drained."""

    name: str

    async def run(self, stop: asyncio.Event) -> None:
        """Produce telemetry until ``stop`` is set, then return after finishing the current step."""

    async def shutdown(self) -> None:
        """Release what the receiver holds (listeners, clients)."""


@dataclass(frozen=True)
class ReceiverFactory(Generic[SettingsT]):
    """How the runtime makes one kind of receiver: the key of its section under ``receivers:``, the
    section's type (a :class:`~otel_auth0.config.receivers.ReceiverSettings` defined beside the
    receiver; validation of ``receivers:`` looks it up here), and ``create(settings, services)``."""

    name: str
    config_type: type[SettingsT]
    create: Callable[[SettingsT, Services], Receiver]

    def default_config(self) -> SettingsT:
        """The section with every default (not validated: some keys have no default)."""
        return self.config_type.model_construct()
