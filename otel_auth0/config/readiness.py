"""The readiness suite's section (``otel-auth0 readiness``, ``pytest features/``, ``scan``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from otel_auth0.config.base import Duration, _Section


class InboundTargetConfig(_Section):
    """A service Auth0 must reach (custom DB API, SMTP server, webhook / Log Stream receiver)."""

    name: str = Field(min_length=1)
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    tls: Literal["none", "tls", "starttls"] = "none"
    timeout: Duration = 5.0
    ca_file: Path | None = None


class ReadinessSmtpConfig(_Section):
    """The SMTP server the tenant's email provider uses; ``local: true`` starts a test mailbox instead."""

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    username: str | None = None
    password: str | None = None
    from_address: str | None = Field(default=None, alias="from")
    test_recipient: str | None = None
    test_user_id: str | None = None
    tls: Literal["starttls", "tls", "none"] = "starttls"
    ca_file: Path | None = None
    timeout: Duration = 10.0
    delivery_timeout: Duration = 15.0
    local: bool = False

    @model_validator(mode="after")
    def _host_unless_local(self) -> ReadinessSmtpConfig:
        if not self.local and not self.host:
            raise ValueError("host: required unless local is true (a test mailbox started by the suite)")
        return self


class ReadinessThresholds(_Section):
    """Limits the readiness gates and ``otel-auth0 scan`` compare against."""

    probe_p95_s: float = Field(default=2.0, gt=0)
    log_lag_s: float = Field(default=300.0, gt=0)
    rate_limit_window_h: float = Field(default=24.0, gt=0)
    rate_limit_events: int = Field(default=0, ge=0)
    rate_limit_headroom: float = Field(default=0.2, ge=0, le=1)
    auth_failures: int | None = Field(default=None, ge=0)
    management_failures: int | None = Field(default=None, ge=0)


class ReadinessConfig(_Section):
    """Production-readiness suite settings (``otel-auth0 readiness``, ``pytest features/``, ``scan``)."""

    region: str = "US"
    allowlist_file: Path | None = None
    ip_ranges_file: Path | None = None
    ip_ranges_refresh: bool = True
    inbound_targets: list[InboundTargetConfig] = Field(default_factory=list)
    smtp: ReadinessSmtpConfig | None = None
    attestations_file: Path | None = None
    max_age_days: int = Field(default=90, ge=1)
    thresholds: ReadinessThresholds = Field(default_factory=ReadinessThresholds)
    required_retention_days: int = Field(default=30, ge=1)
    plan_retention_days: int | None = Field(default=None, ge=1)
    required_email_templates: list[str] = Field(default_factory=lambda: ["verify_email", "reset_email"])
    external_idps: list[str] | None = None
    provider_endpoints: dict[str, str] = Field(default_factory=dict)
    recommended_node_runtimes: list[str] = Field(default_factory=lambda: ["node22"])
