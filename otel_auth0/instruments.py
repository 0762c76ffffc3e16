"""Every metric otel_auth0 emits, created in one place from one Meter (documented in docs/telemetry.md).

``auth0.*`` metrics describe the tenant; ``otel_auth0.*`` metrics describe this collector itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from opentelemetry.metrics import Meter

# (signal suffix, unit, description) of the signals export workers send from the queue.
EXPORTED_SIGNALS = (("log_records", "{record}", "Log records"), ("spans", "{span}", "Spans"))
# ``otel_auth0.signal`` values of the signals that travel through the persistent queue.
QUEUED_SIGNALS = ("logs", "spans")
# Histogram buckets for request durations in seconds.
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Why a receiver parks an event (``otel_auth0.reason`` of otel_auth0.receiver.rejected_events).
REJECTION_REASONS = ("bad_item", "conversion_failed")
# Where detection state is damaged (otel_auth0.state.damaged): the SQLite file, or a fleet's tables.
SQLITE_DAMAGE: tuple[tuple[str, Sequence[str]], ...] = (("detections.sqlite3", ("moved_aside", "bad_row")),)
POSTGRES_DAMAGE: tuple[tuple[str, Sequence[str]], ...] = (
    ("otel_auth0_detection_groups", ("bad_row",)),
    ("otel_auth0_detection_inbox", ("bad_row",)),
)


class Instruments:
    """The instruments, created once per process."""

    def __init__(self, meter: Meter) -> None:
        # Tenant telemetry derived from events.
        self.log_events = meter.create_counter(
            "auth0.log.events",
            unit="{event}",
            description="Auth0 tenant log events by type, category and outcome",
        )
        self.rate_limit_events = meter.create_counter(
            "auth0.rate_limit.events",
            unit="{event}",
            description="Auth0 rate-limit and attack-protection events",
        )
        self.unknown_types = meter.create_counter(
            "auth0.log.unknown_types",
            unit="{event}",
            description="Events whose type code is not in the catalog (a new Auth0 log type)",
        )
        self.ingest_lag = meter.create_gauge(
            "auth0.ingest.lag", unit="s", description="Age of the newest event when a receiver took it in"
        )
        self.transaction_duration = meter.create_histogram(
            "auth0.transaction.duration",
            unit="s",
            description="Duration of timed authentication transactions (initiatedAt to completedAt)",
            explicit_bucket_boundaries_advisory=[0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600],
        )
        self.mgmt_rate_limit_limit = meter.create_gauge(
            "auth0.management_api.rate_limit.limit", unit="{request}", description="x-ratelimit-limit"
        )
        self.mgmt_rate_limit_remaining = meter.create_gauge(
            "auth0.management_api.rate_limit.remaining", unit="{request}", description="x-ratelimit-remaining"
        )
        self.mgmt_rate_limit_reset = meter.create_gauge(
            "auth0.management_api.rate_limit.reset", unit="s", description="Seconds until x-ratelimit-reset"
        )
        self.detections = meter.create_counter(
            "auth0.detections",
            unit="{detection}",
            description="Detections by rule id and severity (docs/detections.md)",
        )
        # Synthetic login probe, monitoring endpoints and the status feed.
        self.probe_duration = meter.create_histogram(
            "auth0.probe.duration",
            unit="s",
            description="Duration of a login-probe run (auth0.probe.step=login) and of each of its steps",
            explicit_bucket_boundaries_advisory=SECONDS_BUCKETS,
        )
        self.probe_success = meter.create_gauge(
            "auth0.probe.success", unit="1", description="1 when the last login-probe run succeeded, else 0"
        )
        self.probe_errors = meter.create_counter(
            "auth0.probe.errors", unit="{error}", description="Failed login-probe runs by error.type"
        )
        self.endpoint_up = meter.create_gauge(
            "auth0.endpoint.up", unit="1", description="1 when a monitoring endpoint answered OK"
        )
        self.endpoint_duration = meter.create_histogram(
            "auth0.endpoint.duration",
            unit="s",
            description="Response time of a monitoring endpoint",
            explicit_bucket_boundaries_advisory=SECONDS_BUCKETS,
        )
        self.status_incidents_open = meter.create_gauge(
            "auth0.status.incidents.open", unit="{incident}", description="Unresolved status-feed incidents"
        )
        # The collector's own health.
        self.detections_shed = meter.create_counter(
            "otel_auth0.detections.shed",
            unit="{group}",
            description="Detection window states shed at processors.detections.max_groups",
        )
        self.detections_backlog = meter.create_gauge(
            "otel_auth0.detections.backlog",
            unit="{event}",
            description="Events waiting in the state database for the holder of the detections lease",
        )
        self.receiver_errors = meter.create_counter(
            "otel_auth0.receiver.errors",
            unit="{error}",
            description="Receiver failures by receiver and error.type",
        )
        self.listener_incidents = meter.create_counter(
            "otel_auth0.listener.incidents",
            unit="{incident}",
            description="What a listener did to protect itself, by otel_auth0.listener and otel_auth0.reason",
        )
        self.receiver_restarts = meter.create_counter(
            "otel_auth0.receiver.restarts",
            unit="{restart}",
            description="Receivers restarted after they raised or ended before stop",
        )
        self.receiver_requests = meter.create_counter(
            "otel_auth0.receiver.requests",
            unit="{request}",
            description="Requests a receiver made or answered",
        )
        self.receiver_last_success = meter.create_gauge(
            "otel_auth0.receiver.last_success", unit="s", description="UNIX time of a receiver's last success"
        )
        self.receiver_events = meter.create_counter(
            "otel_auth0.receiver.events", unit="{event}", description="Events a receiver enqueued"
        )
        self.receiver_rejected_events = meter.create_counter(
            "otel_auth0.receiver.rejected_events",
            unit="{event}",
            description="Events a receiver could not convert, parked in the queue's dead_letters table",
        )
        self.receiver_duplicates = meter.create_counter(
            "otel_auth0.receiver.duplicates", unit="{event}", description="Events skipped as already emitted"
        )
        self.queue_size = meter.create_gauge(
            "otel_auth0.queue.size", unit="{record}", description="Records in the persistent queue"
        )
        self.queue_oldest_age = meter.create_gauge(
            "otel_auth0.queue.oldest_age", unit="s", description="Age of the oldest queued record"
        )
        self.queue_dropped = meter.create_counter(
            "otel_auth0.queue.dropped", unit="{record}", description="Records dropped by a drop_oldest policy"
        )
        self.queue_refused = meter.create_counter(
            "otel_auth0.queue.refused",
            unit="{batch}",
            description="Batches refused because the queue was full",
        )
        self.export_records = meter.create_counter(
            "otel_auth0.export.records", unit="{record}", description="Records acknowledged by a backend"
        )
        self.export_failures = meter.create_counter(
            "otel_auth0.export.failures", unit="{request}", description="Export requests that failed"
        )
        self.export_rejected = meter.create_counter(
            "otel_auth0.export.rejected",
            unit="{record}",
            description="Records a backend refused for good (HTTP 4xx), parked in the queue's rejected table",
        )
        self.export_partially_rejected = meter.create_counter(
            "otel_auth0.export.partially_rejected",
            unit="{record}",
            description="Records a backend dropped from a request it accepted (OTLP partial success)",
        )
        self.export_retries = meter.create_counter(
            "otel_auth0.export.retries",
            unit="{request}",
            description="Export requests retried after a failure",
        )
        # Named like the OpenTelemetry Collector's own otelcol_exporter_* self-metrics.
        self.exporter_sent = {
            signal: meter.create_counter(
                f"otel_auth0.exporter.sent_{signal}",
                unit=unit,
                description=f"{label} successfully sent by an exporter",
            )
            for signal, unit, label in EXPORTED_SIGNALS
        }
        self.exporter_send_failed = {
            signal: meter.create_counter(
                f"otel_auth0.exporter.send_failed_{signal}",
                unit=unit,
                description=f"{label} an exporter failed to send (kept in the queue and retried)",
            )
            for signal, unit, label in EXPORTED_SIGNALS
        }
        self.exporter_queue_size = meter.create_gauge(
            "otel_auth0.exporter.queue_size",
            unit="{record}",
            description="Records in the persistent queue an exporter sends from",
        )
        self.exporter_queue_capacity = meter.create_gauge(
            "otel_auth0.exporter.queue_capacity",
            unit="{record}",
            description="Capacity of the persistent queue (queue.max_items)",
        )
        self.event_stream_failed_deliveries = meter.create_gauge(
            "otel_auth0.event_stream.failed_deliveries",
            unit="{delivery}",
            description="Failed Event Streams deliveries Auth0 listed at the last gap-fill check",
        )
        self.event_stream_redeliveries = meter.create_counter(
            "otel_auth0.event_stream.redeliveries",
            unit="{request}",
            description="Redeliveries of failed Event Streams deliveries the collector asked Auth0 for",
        )
        self.queue_bytes = meter.create_gauge(
            "otel_auth0.queue.bytes", unit="By", description="Payload bytes in the persistent queue"
        )
        self.queue_capacity_bytes = meter.create_gauge(
            "otel_auth0.queue.capacity_bytes", unit="By", description="queue.max_bytes"
        )
        self.queue_fill_ratio = meter.create_gauge(
            "otel_auth0.queue.fill_ratio",
            unit="1",
            description="The fuller of records/queue.max_items and bytes/queue.max_bytes",
        )
        self.queue_lost = meter.create_counter(
            "otel_auth0.queue.lost",
            unit="{batch}",
            description="Batches committed to the queue and found gone at start (a lost write-ahead log)",
        )
        self.state_damaged = meter.create_counter(
            "otel_auth0.state.damaged",
            unit="{item}",
            description="Damaged state: files moved aside, rows skipped",
        )
        self.exporter_worker_restarts = meter.create_counter(
            "otel_auth0.exporter.worker_restarts",
            unit="{restart}",
            description="Export worker loops restarted by their supervisor after an exception escaped",
        )
        self.receiver_refused_log_records = meter.create_counter(
            "otel_auth0.receiver.refused_log_records",
            unit="{record}",
            description="Events a receiver could not put into the queue because it was full",
        )

    def listener_counter(self, listener: str) -> Callable[[str, int], None]:
        """Counts ``(reason, n)`` into ``otel_auth0.listener.incidents`` for ``listener``."""

        def count(reason: str, times: int) -> None:
            self.listener_incidents.add(times, {"otel_auth0.listener": listener, "otel_auth0.reason": reason})

        return count

    def start_at_zero(
        self,
        exporters: Iterable[str],
        receivers: Iterable[str],
        probe_error_types: Iterable[str] = (),
        rate_limit_types: Iterable[str] = (),
        damage_kinds: Iterable[tuple[str, Sequence[str]]] = SQLITE_DAMAGE,
    ) -> None:
        """Emit every counter whose attribute sets are known up front at 0, so that ``increase()`` and
        ``rate()`` see the first failure instead of a series that appears with it (``damage_kinds``:
        the state files or tables whose damage ``otel_auth0.state.damaged`` counts, with its reasons)."""
        for exporter in exporters:
            only = {"otel_auth0.exporter": exporter}
            self.export_retries.add(0, only)
            self.exporter_worker_restarts.add(0, only)
            for counter in (*self.exporter_sent.values(), *self.exporter_send_failed.values()):
                counter.add(0, only)
            for signal in QUEUED_SIGNALS:
                per_signal = {**only, "otel_auth0.signal": signal}
                for counter in (
                    self.export_records,
                    self.export_failures,
                    self.export_rejected,
                    self.export_partially_rejected,
                ):
                    counter.add(0, per_signal)
        for receiver in receivers:
            source = {"otel_auth0.receiver": receiver}
            for counter in (
                self.receiver_events,
                self.receiver_duplicates,
                self.queue_refused,
                self.receiver_refused_log_records,
                self.receiver_restarts,
            ):
                counter.add(0, source)
            for reason in REJECTION_REASONS:
                self.receiver_rejected_events.add(0, {**source, "otel_auth0.reason": reason})
        self.queue_dropped.add(0)
        self.queue_lost.add(0)
        for state_file, reasons in damage_kinds:
            for reason in reasons:
                self.state_damaged.add(0, {"otel_auth0.state_file": state_file, "otel_auth0.reason": reason})
        self.detections_shed.add(0)
        self.detections_backlog.set(0)  # always 0 on SQLite: the rules run in the intake
        for error_type in probe_error_types:
            self.probe_errors.add(0, {"error.type": error_type})
        for log_type in rate_limit_types:
            self.rate_limit_events.add(0, {"auth0.log.type": log_type})
