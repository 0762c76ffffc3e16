"""``receivers.logs_api``: the poller's section (beside :mod:`otel_auth0.receivers.logs_api`)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field, field_validator

from otel_auth0.config.auth0 import Auth0Config
from otel_auth0.config.base import Duration
from otel_auth0.config.receivers import PeriodicSettings


class LogsApiConfig(PeriodicSettings):
    """Checkpoint-mode poller of ``GET /api/v2/logs``."""

    needs_tenant: ClassVar[bool] = True

    interval: Duration = 10.0
    take: int = Field(default=100, ge=1, le=100)
    start_from: str = "latest"
    max_backoff: Duration = 300.0
    gap_fill_after: Duration = 60.0

    @field_validator("start_from")
    @classmethod
    def _start_from(cls, value: str) -> str:
        if value in ("latest", "oldest"):
            return value
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(
                "must be latest, oldest or an ISO-8601 instant such as 2026-01-31T00:00:00Z"
            ) from exc
        return value

    def tenant_problem(self, name: str, auth0: Auth0Config | None) -> str | None:
        """The tenant, and a machine-to-machine app with ``read:logs`` to read its logs."""
        problem = super().tenant_problem(name, auth0)
        if problem is None and auth0 is not None:
            for key in ("client_id", "client_secret"):
                if not getattr(auth0, key):
                    return (
                        f"auth0.{key}: required by receivers.{name} (a machine-to-machine app with read:logs)"
                    )
        return problem
