"""``state:``: where the queue, the dedupe index and every checkpoint live (SQLite under ``state_dir``
by default; PostgreSQL for a fleet of replicas)."""

from __future__ import annotations

import importlib.util
from typing import Literal

from pydantic import Field, model_validator

from otel_auth0.config.base import Duration, _Section


class StateConfig(_Section):
    """The state backend. ``sqlite`` (the default) keeps everything in ``state_dir`` and needs nothing
    installed; ``postgres`` shares it between replicas (``dsn`` required, ``otel-auth0[postgres]``)."""

    backend: Literal["sqlite", "postgres"] = "sqlite"
    dsn: str | None = Field(default=None, repr=False)
    pool_size: int = Field(default=4, ge=1, le=100)
    connect_timeout: Duration = 5.0
    statement_timeout: Duration = 10.0
    lease_time: Duration = Field(default=15.0, ge=2.0)
    claim_timeout: Duration = Field(default=60.0, ge=1.0)
    replica_id: str | None = None
    # PostgreSQL schema of the tables (``None``: the DSN's search_path); each tenant of a tenants list
    # gets its own (:func:`otel_auth0.config.tenants.tenant_schema`).
    schema_name: str | None = Field(default=None, alias="schema", min_length=1, max_length=63)

    @model_validator(mode="after")
    def _dsn_for_postgres(self) -> StateConfig:
        if self.backend == "postgres" and not self.dsn:
            raise ValueError("dsn: required when backend is postgres (e.g. dsn: ${env:OTEL_AUTH0_STATE_DSN})")
        if self.backend == "postgres" and importlib.util.find_spec("psycopg_pool") is None:
            raise ValueError("backend postgres needs psycopg: pip install 'otel-auth0[postgres]'")
        return self
