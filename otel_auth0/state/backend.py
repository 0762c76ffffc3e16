"""The state backend interface every part of the collector uses (intake, export workers, runtime).

:class:`~otel_auth0.state.queue.PersistentQueue` (SQLite) and
:class:`~otel_auth0.state.postgres_queue.PostgresQueue` both satisfy it; ``open_state`` picks one from
``state:``. A write that cannot reach the store raises
:class:`~otel_auth0.state.queue.StorageError` and changes nothing; a limit raises
:class:`~otel_auth0.state.queue.QueueFull`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from otel_auth0.config import Config
from otel_auth0.convert.mapping import Converted
from otel_auth0.convert.wire import Signal
from otel_auth0.state.checkpoints import Checkpoint
from otel_auth0.state.queue import EnqueueResult, InboxEntry, ParkedEvent, PersistentQueue, QueuedBatch


class StateBackend(Protocol):
    """Queue, dedupe index and checkpoints: one transaction per enqueue (batch, keys, checkpoint)."""

    dropped: int
    storage_error: str | None

    @property
    def size(self) -> int:
        """Records waiting for at least one exporter."""

    @property
    def stored_bytes(self) -> int:
        """Payload bytes waiting for at least one exporter."""

    def oldest_age(self) -> float:
        """Seconds since the oldest waiting row was enqueued (0 when empty)."""

    def enqueue(
        self,
        batch: Sequence[Converted],
        scope: str,
        checkpoint: tuple[str, str] | None = None,
        parked: Sequence[ParkedEvent] = (),
        inbox: Sequence[InboxEntry] = (),
    ) -> EnqueueResult:
        """Store ``batch`` (minus keys already seen), ``parked`` and ``checkpoint`` in one transaction;
        on PostgreSQL also the detection ``inbox`` entries of what was accepted (SQLite: none)."""

    def peek(self, signal: Signal, exporter_bit: int, max_records: int, after: int = 0) -> list[QueuedBatch]:
        """The oldest rows of ``signal`` not yet acknowledged by ``exporter_bit`` (claimed for it)."""

    def ack(self, batches: Iterable[QueuedBatch], exporter_bit: int) -> None:
        """``exporter_bit`` delivered ``batches``."""

    def reject(self, batch: QueuedBatch, signal: Signal, exporter_bit: int, exporter: str) -> None:
        """Park a row the backend refused for good and release it for that exporter."""

    def rejected_count(self) -> int:
        """Rows parked as refused."""

    def dead_letters(self) -> list[tuple[str, str | None, str, str]]:
        """Parked events as ``(receiver, log_id, reason, event JSON)``, oldest first."""

    def get_checkpoint(self, name: str) -> Checkpoint | None:
        """A stored position, or ``None``."""

    def checkpoints(self, prefix: str) -> list[tuple[str, Checkpoint]]:
        """Every stored position whose name starts with ``prefix``, by name."""

    def set_checkpoint(self, name: str, value: str) -> None:
        """Store a position outside an enqueue."""

    def has_seen(self, key: str) -> bool:
        """Whether ``key`` was already enqueued (within the dedupe window)."""

    def prune_seen(self) -> int:
        """Forget keys beyond the dedupe window; how many were forgotten."""

    def compact(self) -> int:
        """Give space back after a large drain; bytes released (0 when nothing to do)."""

    def close(self) -> None:
        """Release the store."""


def open_state(config: Config, exporter_mask: int) -> StateBackend:
    """The backend ``config.state`` names: SQLite under ``state_dir`` or PostgreSQL at ``state.dsn``."""
    if config.state.backend == "postgres":
        from otel_auth0.state.postgres_queue import PostgresQueue  # psycopg only when chosen

        return PostgresQueue.from_config(config, exporter_mask)
    return PersistentQueue.in_state_dir(
        config.state_dir, exporter_mask, config.queue, config.processors.dedupe
    )
