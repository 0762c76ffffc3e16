"""PII redaction (``processors.redact``), applied by the converter before anything is encoded, so no
redacted value reaches the queue on disk or any exporter.

Fields are selected by attribute name (``user.email``, ``client.address``, ``geo.*``). Their values
are replaced in place (``hash``: keyed HMAC-SHA256, hex, stable for a given salt so distinct values
can still be counted; ``mask``: ``****``; ``drop``: the attribute is removed), and every occurrence
of those values elsewhere, in other attributes, the body and ``auth0.details`` (also in its
JSON-escaped form), is replaced by the same replacement (``[redacted]`` for ``drop``). With
``user.email`` selected, every e-mail address found in the event is redacted as a ``user.email``;
with ``client.address`` selected, every IP address (IPv4, IPv6, IPv4-mapped) found anywhere in it
(``details.request.ip``, forwarded-for chains, response bodies, free text) as a ``client.address``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
from collections.abc import Iterator, Mapping
from typing import Final

from otel_auth0.config import RedactConfig
from otel_auth0.convert.attributes import CLASSIFICATION_KEYS
from otel_auth0.convert.wire import AttributeValue

MASK: Final = "****"
DROPPED: Final = "[redacted]"
# Shorter values are replaced in their own attributes only: scrubbing one- or two-character strings
# out of free text would destroy it (real e-mails, IPs and user ids are longer).
MIN_SCRUB_LENGTH: Final = 3
_USER_ID_KEYS: Final = frozenset({"user.id", "enduser.id"})
_EMAIL_KEY: Final = "user.email"
_IP_KEY: Final = "client.address"
# IP-shaped text; every candidate is confirmed by the ipaddress module.
_IP_CANDIDATES: Final = re.compile(
    r"(?<![0-9A-Fa-f:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?(?![0-9A-Fa-f:])"
    r"|(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)"
)
# E-mail addresses anywhere in an event (Management API request bodies, ``details.to`` of e-mail events),
# found around each "@": the local part (at most 64 characters) before it, the domain after it.
_LOCAL_PART: Final = re.compile(r"(?<![\w.%+'-])[\w.%+'-]{1,64}$")
_DOMAIN: Final = re.compile(r"[\w-]+(?:\.[\w-]+)+")


def email_addresses(text: str) -> Iterator[str]:
    """The e-mail addresses in ``text``."""
    at = text.find("@")
    while at != -1:
        local = _LOCAL_PART.search(text, max(0, at - 64), at)
        domain = _DOMAIN.match(text, at + 1)
        if local is not None and domain is not None:
            yield text[local.start() : domain.end()]
        at = text.find("@", at + 1)


def ip_addresses(text: str) -> Iterator[str]:
    """The IP addresses in ``text``, as written."""
    for match in _IP_CANDIDATES.finditer(text):
        candidate = match.group(0)
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if len(candidate) >= MIN_SCRUB_LENGTH:
            yield candidate


class Redactor:
    """The configured redaction; :meth:`begin` prepares it for one event's values."""

    def __init__(self, config: RedactConfig) -> None:
        self._exact = frozenset(field for field in config.fields if not field.endswith(".*"))
        self._prefixes = tuple(field[:-1] for field in config.fields if field.endswith(".*"))
        self._method = config.method
        self._key = (config.salt or "").encode()

    def selects(self, key: str) -> bool:
        """Whether the attribute ``key`` is redacted."""
        return key in self._exact or key.startswith(self._prefixes)

    @property
    def drops(self) -> bool:
        """Whether selected attributes are removed rather than replaced."""
        return self._method == "drop"

    def replacement(self, value: str) -> str:
        """What replaces ``value`` (in free text too, where a dropped value leaves a marker)."""
        if self._method == "hash":
            return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()
        return MASK if self._method == "mask" else DROPPED

    def begin(self, attributes: Mapping[str, AttributeValue], body: str | None = None) -> Redaction:
        """Collect the values of the selected attributes of one event (and, when ``user.email`` is
        selected, every e-mail address in its attributes and body)."""
        values: dict[str, str] = {}
        texts = [value for value in attributes.values() if isinstance(value, str)] + [body or ""]
        if self.selects(_EMAIL_KEY):
            for text in texts:
                for address in email_addresses(text):
                    values.setdefault(address, self.replacement(address))
        if self.selects(_IP_KEY):
            for text in texts:
                for address in ip_addresses(text):
                    values.setdefault(address, self.replacement(address))
        for key, value in attributes.items():
            if not self.selects(key):
                continue
            items = [value] if isinstance(value, str) else value if isinstance(value, list | tuple) else []
            for item in items:
                if isinstance(item, str) and item:
                    values[item] = self.replacement(item)
                    if key in _USER_ID_KEYS and "|" in item:
                        # ``auth0|123``: details repeat the bare identity ``123`` (prompts[].identity).
                        values.setdefault(item.split("|", 1)[1], values[item])
        return Redaction(self, values)


class Redaction:
    """Redaction of one event: the same replacements for its log record, spans and body."""

    def __init__(self, redactor: Redactor, values: Mapping[str, str]) -> None:
        self._redactor = redactor
        self._values = dict(values)
        scrubbed: dict[str, str] = {}
        for raw, replacement in values.items():
            if len(raw) >= MIN_SCRUB_LENGTH:
                scrubbed[raw] = replacement
                scrubbed[json.dumps(raw, ensure_ascii=False)[1:-1]] = replacement
                scrubbed[json.dumps(raw)[1:-1]] = replacement
        self._scrubbed = scrubbed
        alternatives = sorted(scrubbed, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None

    def text(self, value: str) -> str:
        """``value`` with every occurrence of a redacted value replaced."""
        if self._pattern is None:
            return value
        return self._pattern.sub(lambda match: self._scrubbed[match.group(0)], value)

    def _value(self, value: AttributeValue) -> AttributeValue:
        if isinstance(value, str):
            return self._values.get(value) or self._redactor.replacement(value)
        if isinstance(value, list | tuple):
            return [self._redactor.replacement(str(item)) for item in value]
        return self._redactor.replacement(str(value))

    def attributes(self, attributes: Mapping[str, AttributeValue]) -> dict[str, AttributeValue]:
        """Selected attributes replaced (or removed for ``drop``); redacted values scrubbed from the rest."""
        out: dict[str, AttributeValue] = {}
        for key, value in attributes.items():
            if key in CLASSIFICATION_KEYS:
                out[key] = value
            elif self._redactor.selects(key):
                if not self._redactor.drops:
                    out[key] = self._value(value)
            elif isinstance(value, str):
                out[key] = self.text(value)
            elif isinstance(value, list | tuple):
                out[key] = [self.text(item) if isinstance(item, str) else item for item in value]
            else:
                out[key] = value
        return out


def build_redactor(config: RedactConfig | None) -> Redactor | None:
    """The redactor for ``processors.redact`` (``None`` when no field is configured)."""
    return Redactor(config) if config is not None and config.fields else None
