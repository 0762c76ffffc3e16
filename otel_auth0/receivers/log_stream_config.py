"""``receivers.log_stream``: the section of the webhook listener (:mod:`otel_auth0.receivers.log_stream`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from otel_auth0.config.base import Duration
from otel_auth0.config.receivers import ReceiverSettings


class LogStreamConfig(ReceiverSettings):
    """Auth0 custom-webhook Log Stream receiver."""

    listen: str = "127.0.0.1:8383"
    path: str = "/auth0/logs"
    token: str | None = None
    auth: Literal["token", "none"] = "token"
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    retry_after: Duration = 10.0
    header_timeout: Duration = 10.0
    body_timeout: Duration = 30.0
    max_connections: int = Field(default=512, ge=8)
    max_in_flight_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    max_header_bytes: int = Field(default=32 * 1024, ge=1024)
    max_headers: int = Field(default=100, ge=8)

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError("must be HOST:PORT, e.g. 0.0.0.0:8383")
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with /")
        return value

    @model_validator(mode="after")
    def _authenticated(self) -> LogStreamConfig:
        """A token (not blank: ``${TOKEN}`` with TOKEN empty is a mistake, not a choice) unless the file
        says ``auth: none``, and no token with ``auth: none``."""
        blank = self.token is None or not self.token.strip()
        if self.auth == "token" and blank:
            state = "is missing" if self.token is None else "is empty or blank (an unset variable?)"
            raise ValueError(
                f"token: {state}; set the stream's Authorization Token, or `auth: none` to accept "
                "unauthenticated posts on a private network"
            )
        if self.auth == "none" and self.token is not None:
            raise ValueError("auth: none contradicts token; remove one of them")
        return self
