"""The status page of a ``tenants:`` list: a summary with one row per tenant (its domain, whether it is
ready, what fails in it, its queue), then one block per tenant with every section a single-tenant page
has, built by the same providers from the tenant's own pipeline and self-metrics. Each of those
sections carries its tenant (``tenant`` in ``/status.json``; a heading of its own on the page), and
the problems box at the top names the tenant of every problem."""

from __future__ import annotations

import time
from collections.abc import Sequence

from otel_auth0.status_page import Section, StatusPage, Value, receiver_state, text


class TenantsStatusPage(StatusPage):
    """One :class:`StatusPage` per tenant under one summary (:mod:`otel_auth0.tenants` sets it on the
    shared telemetry server)."""

    def __init__(self, pages: Sequence[StatusPage]) -> None:
        self.pages = list(pages)

    def sample(self) -> None:
        """One sample of every tenant's self-metrics."""
        for page in self.pages:
            page.sample()

    def sections(self) -> list[Section]:
        """The summary of every tenant, then each tenant's sections in turn."""
        try:
            summary = self.summary(time.time())
        except Exception as error:  # the tenants' own sections still show
            summary = Section(
                "tenants",
                "Tenants",
                [("error", "Error")],
                [{"error": text(f"{type(error).__name__}: {error}"), "state": "failing"}],
                "this section failed",
            )
        return [summary, *(section for page in self.pages for section in page.sections())]

    def summary(self, now: float) -> Section:
        """``tenants``: per tenant its domain, readiness, failing receivers and exporters (and queue, when
        its storage fails), queue depth."""
        rows: list[dict[str, Value]] = []
        for page in self.pages:
            collector = page.collector
            reasons = collector.health.reasons(now)
            failing = [
                name
                for name, status in collector.receiver_statuses().items()
                if receiver_state(
                    status.running, status.restarting, status.last_success, status.last_error_at
                )
                in ("failing", "restarting")
            ]
            failing += [
                f"exporter {w.exporter_name}"
                for w in collector.pipeline.workers
                if w.failing_since is not None
            ]
            if collector.pipeline.queue.storage_error:
                failing.append("queue")
            auth0 = collector.config.auth0
            rows.append(
                {
                    "tenant": page.tenant,
                    "domain": auth0.domain if auth0 is not None else None,
                    "state": "failing" if reasons or failing else "ok",
                    "ready": "ready"
                    if not reasons
                    else f"not ready: {len(reasons)} reason{'s' * (len(reasons) > 1)}",
                    "failing": text(", ".join(failing)) if failing else None,
                    "queue_records": collector.pipeline.queue.size,
                }
            )
        columns = [
            ("tenant", "Tenant"),
            ("domain", "Domain"),
            ("state", "State"),
            ("ready", "Ready (/readyz)"),
            ("failing", "Failing"),
            ("queue_records", "Queued records"),
        ]
        bad = [str(row["tenant"]) for row in rows if row["state"] == "failing"]
        summary = f"{len(rows)} tenants" + (f"; with problems: {', '.join(bad)}" if bad else "; all ok")
        return Section("tenants", "Tenants", columns, rows, summary, "no tenant")
