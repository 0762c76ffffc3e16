"""Every metric otel_auth0 emits, created in one place from one Meter (documented in docs/telemetry.md).

``auth0.*`` metrics describe the tenant; ``otel_auth0.*`` metrics describe this collector itself.
"""

from __future__ import annotations

from opentelemetry.metrics import Meter

# Histogram buckets for request durations in seconds.
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


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
        self.receiver_errors = meter.create_counter(
            "otel_auth0.receiver.errors",
            unit="{error}",
            description="Receiver failures by receiver and error.type",
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
        self.export_retries = meter.create_counter(
            "otel_auth0.export.retries",
            unit="{request}",
            description="Export requests retried after a failure",
        )
