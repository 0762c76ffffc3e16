"""One sample of every secret shape the readiness checks detect, for the tests that prove no report or page
shows any part of one (fixed seed: the same strings every run)."""

from __future__ import annotations

import base64
import random
import string
from collections.abc import Iterable

_random = random.Random(20261206)
_ALNUM = string.ascii_letters + string.digits


def _token(length: int, alphabet: str = _ALNUM) -> str:
    return "".join(_random.choice(alphabet) for _ in range(length))


def _b64url(data: str) -> str:
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


_PEM_BODY = "\n".join(_token(64, _ALNUM + "+/") for _ in range(4)) + "\n" + _token(20, _ALNUM + "+/") + "=="

#: kind (as the checks name it) -> a sample secret
SECRETS: dict[str, str] = {
    "Stripe key": "sk_live_" + _token(24),
    "Stripe restricted key": "rk_live_" + _token(24),
    "AWS access key id": "AKIA" + _token(16, string.ascii_uppercase + string.digits),
    "GitHub token": "ghp_" + _token(36),
    "Slack token": "xoxb-" + _token(11, string.ascii_letters) + "-" + _token(24),
    "private key": f"-----BEGIN RSA PRIVATE KEY-----\n{_PEM_BODY}\n-----END RSA PRIVATE KEY-----",
    "JWT": ".".join(
        [_b64url('{"alg":"HS256","typ":"JWT"}'), _b64url('{"sub":"' + _token(12) + '"}'), _token(43)]
    ),
    "high-entropy string": _token(40),
    "assigned secret": _token(14, _ALNUM + "!#%&*"),
}

#: JavaScript an Action could hold: every sample, as developers hard-code them
ACTION_CODE = "\n".join(
    [
        f'const stripe = "{SECRETS["Stripe key"]}";',
        f"const roles = '{SECRETS['Stripe restricted key']}';",
        f'const aws = "{SECRETS["AWS access key id"]}";',
        f'const gh = "{SECRETS["GitHub token"]}";',
        f'const slack = "{SECRETS["Slack token"]}";',
        f"const pem = `{SECRETS['private key']}`;",
        f'const bearer = "{SECRETS["JWT"]}";',
        f'const upstream = "{SECRETS["high-entropy string"]}";',
        f'const dbPassword = "{SECRETS["assigned secret"]}";',
    ]
)


#: each sample as it reaches a report's text: the assigned secret with its assignment (a bare password of
#: 14 characters is indistinguishable from any other word)
IN_TEXT = [
    *(secret for kind, secret in SECRETS.items() if kind != "assigned secret"),
    f'dbPassword = "{SECRETS["assigned secret"]}"',
]


#: the public markers of the formats: words anyone may write ("live" in "delivered"), not secret material
PUBLIC_MARKERS = (
    "sk_live_",
    "rk_live_",
    "ghp_",
    "xoxb-",
    "AKIA",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----END RSA PRIVATE KEY-----",
)


def fragments(secret: str, size: int = 4) -> set[str]:
    """Every ``size``-character substring of ``secret`` but those wholly inside a public marker (a window
    reaching into the secret material, like ``ve_4`` of ``sk_live_4eC3…``, counts)."""
    inside = [False] * len(secret)
    for marker in PUBLIC_MARKERS:
        start = secret.find(marker)
        while start != -1:
            inside[start : start + len(marker)] = [True] * len(marker)
            start = secret.find(marker, start + 1)
    return {
        secret[i : i + size]
        for i in range(len(secret) - size + 1)
        if not all(inside[i : i + size]) and secret[i : i + size].strip()
    }


def unguessable(length: int = 24) -> str:
    """A secret every 4-character window of which holds ``~`` or ``^``, which no page of ours prints: a
    fragment of it on a page can only be a leak, never a coincidence with the page's own text."""
    letters = [_random.choice(string.ascii_letters) for _ in range(length)]
    return "".join(f"{c}{'~^'[i % 2]}" for i, c in enumerate(letters))


def leaks(text: str, secrets: Iterable[str] = SECRETS.values()) -> list[str]:
    """The fragments of ``secrets`` found in ``text`` (empty: nothing leaked)."""
    return sorted({fragment for secret in secrets for fragment in fragments(secret) if fragment in text})
