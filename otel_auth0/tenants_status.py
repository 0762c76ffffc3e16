"""The status page of a ``tenants:`` list: every tenant's sections (overview, receivers, queue,
exporters, leases, ...) one tenant after another, each section's id ``<tenant>_<id>`` (the name in
lower case, other characters than letters and digits as ``_``) and title ``tenant <name>: <title>``,
each read from the tenant's own collector and self-metrics."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry

from otel_auth0.status_page import MetricHistory, Section, StatusContext, StatusPage, sections_of

if TYPE_CHECKING:
    from otel_auth0.runtime import Collector


class TenantsStatusPage(StatusPage):
    """``/status`` of a process serving several tenants."""

    def __init__(self, tenants: Sequence[tuple[str, Collector, CollectorRegistry]]) -> None:
        self._tenants = [(name, collector, MetricHistory(registry)) for name, collector, registry in tenants]
        self._ids: dict[str, str] = {}
        for index, (name, _, _) in enumerate(tenants):
            slug = re.sub(r"[^a-z0-9_]", "_", name.lower())
            self._ids[name] = slug if slug not in self._ids.values() else f"{slug}_{index}"

    def sample(self) -> None:
        """One sample of every tenant's self-metrics."""
        for _, _, metrics in self._tenants:
            metrics.sample()

    def sections(self) -> list[Section]:
        """Every tenant's sections, tenant by tenant."""
        now = time.time()
        out = []
        for name, collector, metrics in self._tenants:
            for section in sections_of(StatusContext(collector, now, metrics)):
                section.id = f"{self._ids[name]}_{section.id}"
                section.title = f"tenant {name}: {section.title}"
                out.append(section)
        return out
