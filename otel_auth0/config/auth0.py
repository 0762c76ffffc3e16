"""The ``auth0:`` section: how to reach the tenant (shared by the collector, its receivers and readiness)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from otel_auth0.config.base import Duration, _Section


class Auth0Config(_Section):
    """How to reach the tenant."""

    domain: str = Field(min_length=1)
    tenant: str | None = Field(default=None, min_length=1)
    client_id: str | None = None
    client_secret: str | None = None
    scheme: Literal["https", "http"] = "https"
    ca_file: Path | None = None
    timeout: Duration = 30.0

    @field_validator("domain")
    @classmethod
    def _bare_domain(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if "://" in value:
            raise ValueError(
                "give the bare domain (tenant.us.auth0.com), without scheme; set `scheme` instead"
            )
        return value

    @field_validator("ca_file")
    @classmethod
    def _ca_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"CA file {value} does not exist")
        return value

    @property
    def base_url(self) -> str:
        """``https://tenant.us.auth0.com``."""
        return f"{self.scheme}://{self.domain}"

    @property
    def tenant_name(self) -> str | None:
        """The tenant's name as Auth0 writes it in ``tenant_name``: ``tenant`` when set (configured or
        read from the tenant at start), else the first label of a canonical ``*.auth0.com`` domain;
        None for a custom domain or an address, whose labels say nothing about the tenant."""
        if self.tenant:
            return self.tenant
        host = self.domain.rsplit(":", 1)[0] if self.domain.count(":") == 1 else self.domain
        if host.lower().endswith(".auth0.com") and host.count(".") >= 2:
            return host.split(".", 1)[0]
        return None
