"""URLs (and database connection strings) as we show them in logs, reports and pages: never with the
credentials they may carry."""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit


def display_url(url: str) -> str:
    """``url`` without user name and password (``http://user:pw@host/p`` → ``http://***@host/p``) and
    without query or fragment, which may hold tokens; anything unparsable shows as ``(unreadable URL)``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(unreadable URL)"
    if "://" not in url:  # host:port (a gRPC target): keep what follows the last "@"
        return ("***@" if "@" in url else "") + url.rpartition("@")[2]
    netloc = ("***@" if "@" in parts.netloc else "") + (f"[{host}]" if ":" in host else host)
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, without credentials, path or query."""
    shown = urlsplit(display_url(url))
    return f"{shown.scheme}://{shown.netloc.removeprefix('***@')}" if shown.scheme else "(unknown origin)"


def redirect_origin(base: str, location: str) -> str:
    """The origin a ``Location`` header (absolute or relative to ``base``) points at."""
    if not location.strip():
        return "(no Location header)"
    try:
        return origin(urljoin(base, location.strip()))
    except ValueError:
        return "(unreadable Location header)"


# ``password=`` quoted, or bare up to the next ``key=`` (a bare value with spaces is malformed, and libpq's
# error then quotes the words after the first).
_KEYWORD_PASSWORD = re.compile(
    r"""password\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(.*?)(?=\s+\w+\s*=|\s*$))""", re.IGNORECASE
)
_QUERY_PASSWORD = re.compile(r"[?&]password=([^&#]*)", re.IGNORECASE)


def dsn_passwords(dsn: str) -> list[str]:
    """Every form of the password a libpq connection string carries: ``password=...`` (quoted or not)
    and, in the URL form, the user-info password and a ``password`` query parameter, as written and
    percent-decoded."""
    found: list[str] = []
    if "://" in dsn:
        try:
            written = urlsplit(dsn).netloc.rpartition("@")[0].partition(":")[2]
        except ValueError:
            written = ""
        found += [written, *_QUERY_PASSWORD.findall(dsn)]
    else:
        for quoted, bare in _KEYWORD_PASSWORD.findall(dsn):
            found += [quoted, quoted.replace("\\'", "'").replace("\\\\", "\\"), bare, *bare.split()]
    found += [unquote(value) for value in found]
    return sorted({value for value in found if value}, key=len, reverse=True)


def without_dsn_password(text: str, dsn: str | None) -> str:
    """``text`` (an error message) with every form of ``dsn``'s password replaced by ``***``."""
    for password in dsn_passwords(dsn or ""):
        text = text.replace(password, "***")
    return text
