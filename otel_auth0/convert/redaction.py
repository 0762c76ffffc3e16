"""What the converter needs from a redactor (implemented by :mod:`otel_auth0.processors.redact`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from otel_auth0.convert.wire import AttributeValue


class Redaction(Protocol):
    """Redaction of one event: the same replacements for its log record, spans and body."""

    def text(self, value: str) -> str:
        """``value`` with every redacted value replaced."""

    def attributes(self, attributes: Mapping[str, AttributeValue]) -> dict[str, AttributeValue]:
        """Selected attributes replaced or removed; redacted values scrubbed from the rest."""


class Redactor(Protocol):
    """Prepares the redaction of one event."""

    def begin(self, attributes: Mapping[str, AttributeValue], body: str | None = None) -> Redaction:
        """Collect the values to redact from one event's attributes and body."""
