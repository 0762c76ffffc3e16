"""The production-check library: importing it registers every check in :data:`CHECKS`."""

from otel_auth0.readiness.checks import (  # noqa: F401 - each module registers its checks
    actions,
    apis,
    applications,
    attack_protection,
    connections,
    domains,
    email,
    mfa,
    streams,
    tenant,
)
from otel_auth0.readiness.checks.registry import CHECKS, READS, ProductionCheck, run_check

__all__ = ["CHECKS", "READS", "ProductionCheck", "run_check"]
