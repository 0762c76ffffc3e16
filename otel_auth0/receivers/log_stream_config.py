"""``receivers.log_stream``: the section of the webhook listener (:mod:`otel_auth0.receivers.log_stream`)."""

from __future__ import annotations

from pydantic import Field, field_validator

from otel_auth0.config.base import Duration
from otel_auth0.config.receivers import ReceiverSettings


class LogStreamConfig(ReceiverSettings):
    """Auth0 custom-webhook Log Stream receiver."""

    listen: str = "127.0.0.1:8383"
    path: str = "/auth0/logs"
    token: str | None = None
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
