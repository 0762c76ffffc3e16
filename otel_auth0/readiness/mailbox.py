"""A local test mailbox: an aiosmtpd server on loopback with STARTTLS (test certificate) and AUTH.

Used in local mode (``readiness.smtp.local: true``): the SMTP gates talk to it, and the tenant's
provider (in the simulator) delivers the verification email to it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from otel_auth0.local_tls import TlsFiles, ensure_certificates


@dataclass(frozen=True)
class Delivered:
    """One message the mailbox accepted."""

    mail_from: str
    recipients: list[str]
    message: EmailMessage
    received_at: float


class _Handler:
    def __init__(self, mailbox: LocalMailbox) -> None:
        self._mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        data = raw if isinstance(raw, bytes) else raw.encode()
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self._mailbox.add(Delivered(str(envelope.mail_from), list(envelope.rcpt_tos), parsed, time.time()))
        return "250 Message accepted for delivery"


class LocalMailbox:
    """Start with :meth:`start` (or as a context manager); ``host``/``port`` are known once started."""

    def __init__(self, state_dir: Path, username: str, password: str, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.username = username
        self.password = password
        self.tls: TlsFiles = ensure_certificates(state_dir / "tls")
        self._messages: list[Delivered] = []
        self._lock = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="readiness-mailbox", daemon=True)

    @property
    def ca_file(self) -> Path:
        """The CA that signed the mailbox certificate (give it to SMTP clients)."""
        return self.tls.ca_file

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)

    def _factory(self) -> SMTP:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.tls.cert_file), str(self.tls.key_file))
        return SMTP(
            _Handler(self),
            hostname="readiness-mailbox.local",
            tls_context=context,
            require_starttls=True,
            authenticator=self._authenticate,
            auth_require_tls=True,
            auth_required=True,
        )

    def start(self) -> LocalMailbox:
        """Listen on ``host`` with a free port."""
        # aiosmtpd warns on every AUTH about its own deprecated attribute; keep reports clean.
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            self._loop.create_server(self._factory, self.host, 0), self._loop
        )
        self._server = future.result(timeout=10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        """Close the listener and the loop."""
        server = self._server
        if server is not None:

            async def close() -> None:  # asyncio servers are not thread-safe: close on their loop
                server.close()
                await server.wait_closed()

            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> LocalMailbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add(self, delivered: Delivered) -> None:
        """Record a message and wake waiters."""
        with self._lock:
            self._messages.append(delivered)
            self._lock.notify_all()

    def wait_for(self, recipient: str, after: float, timeout: float) -> Delivered | None:
        """The first message to ``recipient`` received at or after ``after``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for item in self._messages:
                    wanted = recipient.lower() in (r.lower() for r in item.recipients)
                    if wanted and item.received_at >= after:
                        return item
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._lock.wait(remaining)
