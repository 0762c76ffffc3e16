"""Secret-shaped values, and their masking in everything we write (reports, pages).

The same patterns find credentials in tenant code (``actions_no_hardcoded_secrets``,
``db_custom_scripts_secrets``) and mask them in every report: a secret is replaced by its kind and
length (``[masked: Stripe key, 32 chars]``), never a prefix or any other part of it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

#: (kind, pattern) of known credential formats; the whole match is the secret
KNOWN_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "private key",
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:(?:\s|\\n)*[A-Za-z0-9+/=]+)*"
            r"(?:(?:\s|\\n)*-----END [A-Z ]*PRIVATE KEY-----)?"
        ),
    ),
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")),
    ("Stripe key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}")),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("Slack token", re.compile(r"\bxox[abprse]-[A-Za-z0-9-]{10,}")),
)

#: a quoted literal of 8+ characters assigned to a secret-like name; group ``value`` is the secret
ASSIGNED = re.compile(
    r"""(?ix)\b[\w$]*(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|private[_-]?key|credential)[\w$]*
    ['"]?\s*[:=]\s*(?P<quote>['"`])(?P<value>[^'"`\s]{8,})(?P=quote)"""
)

#: candidates for a generic high-entropy secret (tested with :func:`high_entropy`); quoted in code
TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{20,}")
QUOTED_TOKEN = re.compile(r"""(?P<quote>['"`])(?P<value>[A-Za-z0-9+/=_-]{20,})(?P=quote)""")
MIN_ENTROPY = 3.5  # bits per character


def masked(kind: str, secret: str) -> str:
    """What is shown instead of ``secret``: its kind and length only."""
    return f"[masked: {kind}, {len(secret)} chars]"


def entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def high_entropy(token: str) -> bool:
    """A random-looking token: letters and 3+ digits, mixed case (or long hex), high entropy."""
    digits = sum(c.isdigit() for c in token)
    letters = sum(c.isalpha() for c in token)
    if digits < 3 or letters < 3:
        return False
    mixed_case = any(c.islower() for c in token) and any(c.isupper() for c in token)
    hex_like = len(token) >= 32 and re.fullmatch(r"[0-9a-fA-F]+", token) is not None
    return (mixed_case or hex_like) and entropy(token) >= MIN_ENTROPY


def find_secrets(code: str) -> list[tuple[str, str]]:
    """``(kind, secret)`` of every credential-looking value in ``code``: known formats, quoted literals
    assigned to secret-like names, quoted high-entropy literals (each value once)."""
    found: list[tuple[str, str]] = []
    for kind, pattern in KNOWN_FORMATS:
        found += [(kind, m.group(0)) for m in pattern.finditer(code)]
    candidates = [("assigned secret", m.group("value")) for m in ASSIGNED.finditer(code)]
    candidates += [
        ("high-entropy string", m.group("value"))
        for m in QUOTED_TOKEN.finditer(code)
        if high_entropy(m.group("value"))
    ]
    for kind, value in candidates:
        if not any(value in secret or secret in value for _, secret in found):
            found.append((kind, value))
    return found


def mask_secrets(text: str) -> str:
    """``text`` with every secret-shaped value replaced by its kind and length."""
    for kind, pattern in KNOWN_FORMATS:
        text = pattern.sub(_replacer(kind), text)
    text = ASSIGNED.sub(_mask_assigned, text)
    return TOKEN.sub(_mask_token, text)


def _replacer(kind: str) -> Callable[[re.Match[str]], str]:
    return lambda match: masked(kind, match.group(0))


def _mask_assigned(match: re.Match[str]) -> str:
    value = match.group("value")
    start, end = match.start("value") - match.start(), match.end("value") - match.start()
    whole = match.group(0)
    return whole[:start] + masked("assigned secret", value) + whole[end:]


def _mask_token(match: re.Match[str]) -> str:
    token = match.group(0)
    return masked("high-entropy string", token) if high_entropy(token) else token


def mask_tree(value: Any) -> Any:
    """A JSON-shaped ``value`` with every string (keys too) masked."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, list):
        return [mask_tree(item) for item in value]
    if isinstance(value, dict):
        return {mask_secrets(str(key)): mask_tree(item) for key, item in value.items()}
    return value
