"""Export workers: one thread per exporter drains the persistent queue, acknowledging only what the
backend accepted; failures back off exponentially (with jitter, or as long as the backend asks, up to
``max_retry_wait``) and are retried, never dropped. Each thread runs under a supervisor: an exception
that escapes the loop restarts it after a backoff and is counted (``otel_auth0.exporter.worker_restarts``).

When an acknowledgement cannot be written (a full disk), the worker keeps it in memory with the last
acknowledged row per signal: it goes on with the rows after it, never sends an acknowledged row again,
and writes the kept acknowledgements as soon as the queue file can be written again."""

from __future__ import annotations

import contextvars
import dataclasses
import logging
import math
import threading
import time
from collections import defaultdict

from otel_auth0.backoff import Backoff
from otel_auth0.convert.wire import Signal, build_request, encode_scope
from otel_auth0.exporters.base import ExportOutcome, SignalExporter
from otel_auth0.incidents import Incidents
from otel_auth0.instruments import Instruments
from otel_auth0.state.backend import StateBackend
from otel_auth0.state.queue import QueuedBatch, StorageError

log = logging.getLogger(__name__)

# Queue signal -> suffix of the Collector-style otel_auth0.exporter.* metric names.
SIGNAL_SUFFIX = {Signal.LOGS: "log_records", Signal.SPANS: "spans"}
# Default upper bound of a wait the backend announces (``Retry-After`` / ``RetryInfo``).
DEFAULT_MAX_RETRY_WAIT = 300.0


class ExportWorker:
    """Moves batches from the queue to one exporter until stopped."""

    def __init__(
        self,
        queue: StateBackend,
        exporter: SignalExporter,
        resource: bytes,
        scope_version: str,
        instruments: Instruments,
        batch_size: int = 512,
        max_backoff: float = 60.0,
        idle_wait: float = 0.2,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
    ) -> None:
        self._queue = queue
        self._exporter = exporter
        self._resource = resource
        self._scope_version = scope_version
        self._instruments = instruments
        self._batch_size = batch_size
        self._backoff = Backoff(maximum=max_backoff)
        self._idle_wait = idle_wait
        self._max_retry_wait = max_retry_wait
        self._restart_backoff = Backoff(initial=1.0, maximum=max_backoff)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._scopes: dict[str, bytes] = {}
        # Per signal: while set, rows up to this id are sent one per request (after a rejection).
        self._isolate: dict[Signal, int] = {}
        # Per signal: the last row the backend acknowledged; rows up to it are never sent again.
        self._acknowledged: dict[Signal, int] = {}
        # Acknowledged rows whose acknowledgement is not yet on disk (payloads dropped).
        self._unrecorded: list[QueuedBatch] = []
        self._incidents = Incidents(log)
        self._thread = threading.Thread(target=self._supervise, name=f"export-{exporter.name}", daemon=True)
        self.consecutive_failures = 0
        # UNIX time of the first failure since the last success (None while exports succeed).
        self.failing_since: float | None = None
        self._retry_after: float | None = None  # the backend's requested wait after the last failure
        # While waiting out a delay the backend announced: (UNIX time the wait ends, seconds waited).
        self.announced_wait: tuple[float, float] | None = None
        self.restarts = 0

    @property
    def exporter_name(self) -> str:
        """The exporter this worker serves."""
        return self._exporter.name

    def start(self) -> None:
        """Start the thread (in the caller's context, so log lines keep naming a tenant)."""
        context = contextvars.copy_context()
        name = self._thread.name
        self._thread = threading.Thread(target=context.run, args=(self._supervise,), name=name, daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """New data was enqueued; skip the idle wait."""
        self._wake.set()

    def stop(self, timeout: float) -> None:
        """Stop after the current request (which the exporter bounds by its own timeout)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def pending(self) -> bool:
        """Whether anything waits for this exporter."""
        return any(
            self._queue.peek(signal, self._exporter.bit, 1, self._acknowledged.get(signal, 0))
            for signal in Signal
        )

    def _supervise(self) -> None:
        """Run the loop; whatever escapes it restarts it after a backoff, counted and logged."""
        while not self._stop.is_set():
            try:
                self._run()
            except Exception as error:
                self.restarts += 1
                only = {"otel_auth0.exporter": self._exporter.name}
                self._instruments.exporter_worker_restarts.add(1, only)
                delay = self._restart_backoff.next_delay()
                self._incidents.report(
                    "worker_restart",
                    logging.ERROR,
                    "export worker %s stopped on %r; restarting it in %.1fs (restart %d)",
                    self._exporter.name,
                    error,
                    delay,
                    self.restarts,
                    exc_info=True,
                )
                self._stop.wait(delay)
            else:
                return

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.export_once()
            except Exception as error:  # a bug or an unexpected backend answer must not kill the worker
                self._incidents.report(
                    "export_failed",
                    logging.ERROR,
                    "export to %s failed unexpectedly: %r",
                    self._exporter.name,
                    error,
                    exc_info=not isinstance(error, StorageError),
                )
                sent = None
            if sent is None:
                self._instruments.export_retries.add(1, {"otel_auth0.exporter": self._exporter.name})
                self._wait_before_retry()
            elif sent == 0:
                self._wake.wait(self._idle_wait)
                self._wake.clear()
        self._record_acknowledgements()  # a last try; what stays unrecorded is sent again after a restart

    def _wait_before_retry(self) -> None:
        delay, announced = self._next_wait()
        if announced:
            self.announced_wait = (time.time() + delay, delay)
        try:
            self._stop.wait(delay)
        finally:
            self.announced_wait = None

    def retry_delay(self) -> float:
        """The wait before the next attempt: the backoff's, or longer when the backend asked for more
        (``Retry-After`` / ``RetryInfo``, even beyond the request timeout), but never longer than
        ``max_retry_wait``."""
        return self._next_wait()[0]

    def _next_wait(self) -> tuple[float, bool]:
        """:meth:`retry_delay` and whether it is the backend's announced wait."""
        delay = self._backoff.next_delay()
        requested, self._retry_after = self._retry_after, None
        if requested is None:
            return delay, False
        if math.isnan(requested):
            requested = math.inf
        if requested > self._max_retry_wait:
            self._incidents.report(
                "retry_wait_capped",
                logging.WARNING,
                "%s: the backend asked to wait %.0fs before the next attempt; waiting %.0fs "
                "(exporters.otlp.max_retry_wait)",
                self._exporter.name,
                requested,
                self._max_retry_wait,
            )
            requested = self._max_retry_wait
        return (requested, True) if requested > delay else (delay, False)

    def export_once(self) -> int | None:
        """Send at most one batch per signal; records sent, or ``None`` when an export failed."""
        total = 0
        self._record_acknowledgements()
        for signal in Signal:
            isolating = self._isolate.get(signal)
            limit = 1 if isolating is not None else self._batch_size
            batches = self._queue.peek(signal, self._exporter.bit, limit, self._acknowledged.get(signal, 0))
            if not batches:
                continue
            if isolating is not None and batches[0].row_id > isolating:
                del self._isolate[signal]  # every row of the refused request has had its own try
            records = sum(batch.records for batch in batches)
            request = build_request(signal, self._resource, self._group_by_scope(batches))
            attributes = {
                "otel_auth0.exporter": self._exporter.name,
                "otel_auth0.signal": signal.name.lower(),
            }
            exporter_only = {"otel_auth0.exporter": self._exporter.name}
            result = self._exporter.export(signal, request, records)
            if result.outcome is ExportOutcome.REJECTED:
                self._instruments.export_failures.add(1, attributes)
                if len(batches) > 1:
                    # Send the rows of the refused request one by one, so only what the backend
                    # refuses itself is parked.
                    self._isolate[signal] = batches[-1].row_id
                    return None
                self._queue.reject(batches[0], signal, self._exporter.bit, self._exporter.name)
                self._instruments.export_rejected.add(records, attributes)
                self._instruments.exporter_send_failed[SIGNAL_SUFFIX[signal]].add(records, exporter_only)
                log.error(
                    "%s refused %d %s for good; parked in the queue's `rejected` table (row %d)",
                    self._exporter.name,
                    records,
                    signal.name.lower(),
                    batches[0].row_id,
                )
                continue
            if result.outcome is not ExportOutcome.ACCEPTED:
                self.consecutive_failures += 1
                if self.failing_since is None:
                    self.failing_since = time.time()
                self._instruments.export_failures.add(1, attributes)
                self._instruments.exporter_send_failed[SIGNAL_SUFFIX[signal]].add(records, exporter_only)
                self._retry_after = result.retry_after
                return None
            self._acknowledged[signal] = batches[-1].row_id
            self._unrecorded.extend(dataclasses.replace(batch, payload=b"") for batch in batches)
            self._record_acknowledgements()
            dropped = min(result.partially_rejected, records)
            self._instruments.export_records.add(records - dropped, attributes)
            self._instruments.exporter_sent[SIGNAL_SUFFIX[signal]].add(records - dropped, exporter_only)
            if dropped:
                self._instruments.export_partially_rejected.add(dropped, attributes)
            self._backoff.reset()
            self._restart_backoff.reset()
            self.consecutive_failures = 0
            self.failing_since = None
            total += records
        return total

    def _record_acknowledgements(self) -> None:
        """Write the acknowledgements kept in memory; keep them when the queue file cannot be written."""
        if not self._unrecorded:
            return
        try:
            self._queue.ack(self._unrecorded, self._exporter.bit)
        except StorageError as error:
            self._incidents.report(
                "ack_unrecorded",
                logging.WARNING,
                "export to %s: %d acknowledged records kept in memory (%s); they are not sent again",
                self._exporter.name,
                sum(batch.records for batch in self._unrecorded),
                error,
            )
            return
        self._unrecorded.clear()
        self._incidents.resolve(
            "ack_unrecorded", "export to %s: acknowledgements written again", self._exporter.name
        )

    def _group_by_scope(self, batches: list[QueuedBatch]) -> list[tuple[bytes, bytes]]:
        grouped: dict[str, list[bytes]] = defaultdict(list)
        for batch in batches:
            grouped[batch.scope].append(batch.payload)
        out = []
        for scope, payloads in grouped.items():
            encoded = self._scopes.get(scope)
            if encoded is None:
                encoded = self._scopes[scope] = encode_scope(scope, self._scope_version)
            out.append((encoded, b"".join(payloads)))
        return out

    def drain(self, deadline: float) -> bool:
        """Wait until nothing is pending for this exporter or ``deadline`` (monotonic) passes; a queue
        that cannot be read (its database down) counts as not drained, so shutdown still closes."""
        while time.monotonic() < deadline:
            if self._drained():
                return True
            self._wake.set()
            time.sleep(0.05)
        return self._drained()

    def _drained(self) -> bool:
        try:
            return not self.pending()
        except StorageError as error:
            log.warning("%s: cannot tell whether records wait for export: %s", self.exporter_name, error)
            return False
