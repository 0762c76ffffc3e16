"""URLs as we show them in logs, reports and pages: never with the credentials they may carry."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit


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
