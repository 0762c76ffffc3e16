"""The tenant under test: configuration, a cached Management API snapshot, the local test mailbox."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import httpx

from otel_auth0.auth0.http import ssl_context
from otel_auth0.auth0.management_reads import TenantSnapshot
from otel_auth0.auth0.sdk import SdkSession
from otel_auth0.auth0.tenant_reader import read_tenant
from otel_auth0.collector_config import load_config
from otel_auth0.config import Auth0Config, Config, ReadinessConfig, ReadinessSmtpConfig
from otel_auth0.tenant_choice import one_tenant

if TYPE_CHECKING:  # aiosmtpd comes with the readiness extra; `scan` works without it
    from otel_auth0.readiness.mailbox import LocalMailbox

T = TypeVar("T")
LOCAL_SMTP_USER = "readiness"
TEMPLATES_READ = ("verify_email", "reset_email", "welcome_email")


class TargetError(Exception):
    """The target cannot be checked at all (no ``auth0`` section, unreadable file, ...)."""


class ReadinessTarget:
    """One configured tenant; network resources are opened lazily and released by :meth:`close`."""

    def __init__(self, config: Config, config_path: Path | None = None) -> None:
        self.config = config
        self.readiness = config.readiness or ReadinessConfig()
        self.base_dir = config_path.parent if config_path else Path.cwd()
        self._snapshot: TenantSnapshot | None = None
        self._mailbox: LocalMailbox | None = None

    @classmethod
    def load(cls, path: Path | str, tenant: str | None = None, flag: str = "--tenant") -> ReadinessTarget:
        """Load the YAML configuration at ``path`` (``ConfigError`` names a bad key); of a ``tenants:``
        file, the entry ``tenant`` names (given with ``flag``; ``TenantChoiceError`` when it fits not)."""
        return cls(one_tenant(load_config(path), path, tenant, flag).config, Path(path).resolve())

    @property
    def auth0(self) -> Auth0Config:
        """The tenant connection; a missing section is a :class:`TargetError`."""
        if self.config.auth0 is None or not self.config.auth0.client_id:
            raise TargetError("auth0: domain, client_id and client_secret are needed by the readiness gates")
        return self.config.auth0

    def path(self, value: Path) -> Path:
        """``value`` resolved against the configuration file's directory."""
        return value if value.is_absolute() else self.base_dir / value

    def with_client(self, work: Callable[[SdkSession], T], deadline: float | None = None) -> T:
        """Run ``work`` with a fresh session of Auth0's Management API SDK (rate limits waited out
        until the ``time.monotonic()`` ``deadline``, when given)."""
        with SdkSession(self.auth0, deadline) as session:
            return work(session)

    def snapshot(self) -> TenantSnapshot:
        """The tenant configuration, read once per run."""
        if self._snapshot is None:
            if self.smtp is not None and self.smtp.local:
                self.mailbox()  # the simulated provider names the mailbox once it is pointed at it
            names = sorted({*TEMPLATES_READ, *self.readiness.required_email_templates})
            self._snapshot = self.with_client(lambda client: read_tenant(client, names))
        return self._snapshot

    @property
    def cached_snapshot(self) -> TenantSnapshot | None:
        """The snapshot when this run has read it, without reading it."""
        return self._snapshot

    @property
    def smtp(self) -> ReadinessSmtpConfig | None:
        """The ``readiness.smtp`` section."""
        return self.readiness.smtp

    def mailbox(self) -> LocalMailbox:
        """Local mode: the suite's own mailbox, started once; the simulator's provider is pointed at it."""
        if self._mailbox is None:
            smtp = self.smtp
            if smtp is None or not smtp.local:
                raise TargetError("readiness.smtp.local is not true: there is no local mailbox")
            password = smtp.password or secrets.token_urlsafe(12)
            user = smtp.username or LOCAL_SMTP_USER
            from otel_auth0.readiness.mailbox import LocalMailbox

            mailbox = LocalMailbox(self.config.state_dir / "readiness", user, password)
            mailbox.start()
            self._mailbox = mailbox
            self._point_simulator_at(mailbox)
        return self._mailbox

    def smtp_endpoint(self) -> tuple[str, int, Path | None, str | None, str | None]:
        """``(host, port, ca_file, username, password)`` of the SMTP server the gates talk to."""
        smtp = self.smtp
        if smtp is None:
            raise TargetError("readiness.smtp is not configured")
        if smtp.local:
            box = self.mailbox()
            return box.host, box.port, box.ca_file, box.username, box.password
        assert smtp.host is not None
        return smtp.host, smtp.port, smtp.ca_file and self.path(smtp.ca_file), smtp.username, smtp.password

    def _point_simulator_at(self, mailbox: LocalMailbox) -> None:
        """Tell the simulated tenant to deliver through the mailbox (``POST /_sim/email-relay``)."""
        body = {
            "host": mailbox.host,
            "port": mailbox.port,
            "username": mailbox.username,
            "password": mailbox.password,
            "starttls": True,
            "ca_file": str(mailbox.ca_file),
        }
        try:
            response = httpx.post(
                f"{self.auth0.base_url}/_sim/email-relay",
                json=body,
                verify=ssl_context(self.auth0.ca_file),
                timeout=10.0,
            )
        except httpx.HTTPError as error:
            raise TargetError(f"cannot reach the simulator's /_sim/email-relay: {error}") from None
        if response.status_code != 200:
            raise TargetError(
                "local mode needs the otel-auth0 simulator (POST /_sim/email-relay answered "
                f"{response.status_code}); against a real tenant set readiness.smtp.local: false"
            )

    def close(self) -> None:
        """Stop the mailbox."""
        if self._mailbox is not None:
            self._mailbox.stop()
            self._mailbox = None
