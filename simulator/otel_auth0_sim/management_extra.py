"""Management API email endpoints (provider, templates) and ``POST /api/v2/jobs/verification-email``,
which really sends the email over SMTP through the configured provider; the other configuration reads
come from :mod:`otel_auth0_sim.management_config`.

Where the mail goes: the profile's ``smtp`` provider, or Auth0's built-in provider (default template,
``no-reply@auth0user.net``), both delivered to the SMTP relay set by ``POST /_sim/email-relay``
``{"host", "port", "username"?, "password"?, "starttls": true, "ca_file"?}`` (the provider's credentials
then name that relay). ``GET /_sim/email-relay`` shows the relay and what was sent. Without a relay a
send fails and the tenant log gets an ``fn`` (Failed Sending Notification) event.
"""

from __future__ import annotations

import asyncio
import secrets
import smtplib
import ssl
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from otel_auth0_sim.auth_state import TEST_USERS
from otel_auth0_sim.control import ControlError
from otel_auth0_sim.management_api import api_error, management_route
from otel_auth0_sim.management_catalog import catalog_routes
from otel_auth0_sim.management_config import config_routes
from otel_auth0_sim.management_settings import settings_routes
from otel_auth0_sim.profiles import (
    BUILT_IN_FROM,
    DEFAULT_VERIFY_BODY,
    DEFAULT_VERIFY_SUBJECT,
    tenant_config,
)
from otel_auth0_sim.state import TenantState

SMTP_TIMEOUT = 10.0


@dataclass
class EmailRelay:
    """Where the simulated providers deliver, and a record of what they sent."""

    host: str | None = None
    port: int = 587
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    ca_file: str | None = None
    sent: int = 0
    failed: int = 0
    last_error: str | None = None
    jobs: list[dict[str, Any]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """Without the password."""
        return {k: v for k, v in asdict(self).items() if k != "password"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _current(state: TenantState, relay: EmailRelay) -> dict[str, Any]:
    config = tenant_config(state.profile, f"{state.scheme}://{state.domain}")
    provider = config["email_provider"]
    if provider is not None and relay.host:
        provider["credentials"].update(smtp_host=relay.host, smtp_port=relay.port, smtp_user=relay.username)
    return config


def _message(config: dict[str, Any], to: str, url: str) -> EmailMessage:
    """The verification email as the tenant's provider and template would produce it."""
    template = config["email_templates"].get("verify_email")
    message = EmailMessage()
    if config["email_provider"] is not None and template and template.get("enabled"):
        message["From"] = template.get("from") or config["email_provider"]["default_from_address"]
        message["Subject"] = template["subject"]
        body = str(template["body"])
    else:
        message["From"] = BUILT_IN_FROM
        message["Subject"] = DEFAULT_VERIFY_SUBJECT
        body = DEFAULT_VERIFY_BODY
    message["To"] = to
    message["Message-ID"] = make_msgid(domain="auth0-sim.test")
    message.set_content(body.replace("{{ url }}", url), subtype="html")
    return message


def _deliver(relay: EmailRelay, message: EmailMessage) -> None:
    """One SMTP session with the relay: EHLO, STARTTLS, AUTH when configured, then the message."""
    if not relay.host:
        raise OSError("no SMTP relay configured (POST /_sim/email-relay)")
    with smtplib.SMTP(relay.host, relay.port, timeout=SMTP_TIMEOUT) as smtp:
        smtp.ehlo()
        if relay.starttls:
            smtp.starttls(context=ssl.create_default_context(cafile=relay.ca_file))
            smtp.ehlo()
        if relay.username:
            smtp.login(relay.username, relay.password or "")
        smtp.send_message(message)


def extra_routes(state: TenantState, relay: EmailRelay | None = None) -> list[Route]:
    """Configuration reads, the verification-email job and the ``/_sim/email-relay`` control."""
    relay = relay or EmailRelay()
    sending: set[asyncio.Task[None]] = set()

    async def email_provider(request: Request) -> Response:
        provider = _current(state, relay)["email_provider"]
        if provider is None:
            return api_error(404, "There is no configured email provider", "inexistent_email_provider")
        return JSONResponse(provider)

    async def email_template(request: Request) -> Response:
        name = request.path_params["name"]
        template = _current(state, relay)["email_templates"].get(name)
        if template is None:
            return api_error(404, f"Template {name} not found", "inexistent_email_template")
        return JSONResponse(template)

    async def verification_email(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return api_error(400, "Payload validation error: invalid JSON", "invalid_body")
        user_id = body.get("user_id") if isinstance(body, dict) else None
        if not isinstance(user_id, str) or not user_id:
            return api_error(
                400, "Payload validation error: 'Missing required property: user_id'.", "invalid_body"
            )
        user = next((u for u in TEST_USERS if u.user_id == user_id), None)
        if user is None:
            return api_error(404, "The user does not exist.", "inexistent_user")
        job = {
            "id": f"job_{secrets.token_hex(8)}",
            "type": "verification_email",
            "status": "pending",
            "created_at": _now(),
        }
        message = _message(
            _current(state, relay),
            user.username,
            f"https://{state.domain}/u/email-verification?ticket={job['id']}",
        )
        relay.jobs.append(job)
        task = asyncio.get_running_loop().create_task(_send(job, user.username, user.user_id, message))
        sending.add(task)
        task.add_done_callback(sending.discard)
        state.add_event(
            {
                "type": "svr",
                "description": "Verification email queued",
                "user_id": user_id,
                "details": {"job_id": job["id"]},
            }
        )
        return JSONResponse(job, status_code=201)

    async def _send(job: dict[str, Any], to: str, user_id: str, message: EmailMessage) -> None:
        try:
            await asyncio.to_thread(_deliver, relay, message)
        except (OSError, smtplib.SMTPException, ssl.SSLError) as error:
            relay.failed += 1
            relay.last_error = f"{type(error).__name__}: {error}"
            job["status"] = "failed"
            state.add_event(
                {
                    "type": "fn",
                    "description": "Failed Sending Notification",
                    "user_id": user_id,
                    "details": {"email_type": "verify_email", "to": to, "error": relay.last_error},
                }
            )
            return
        relay.sent += 1
        job["status"] = "completed"

    async def relay_control(request: Request) -> JSONResponse:
        if request.method == "POST":
            try:
                body = await request.json()
            except ValueError:
                raise ControlError("body is not JSON") from None
            if not isinstance(body, dict) or not isinstance(body.get("host"), str):
                raise ControlError(
                    "expected {'host': str, 'port': int, 'username'?, 'password'?, 'starttls'?, 'ca_file'?}"
                )
            port = body.get("port", 587)
            if not isinstance(port, int) or not 0 < port < 65536:
                raise ControlError("'port' must be an integer 1-65535")
            relay.host, relay.port = body["host"], port
            relay.username, relay.password = body.get("username"), body.get("password")
            relay.starttls = bool(body.get("starttls", True))
            relay.ca_file = body.get("ca_file")
        return JSONResponse(relay.public())

    return [
        *config_routes(state, lambda: _current(state, relay)),
        *catalog_routes(state, lambda: _current(state, relay)),
        *settings_routes(state, lambda: _current(state, relay)),
        management_route(state, "/api/v2/emails/provider", email_provider, scope="read:email_provider"),
        management_route(
            state, "/api/v2/email-templates/{name}", email_template, scope="read:email_templates"
        ),
        management_route(
            state, "/api/v2/jobs/verification-email", verification_email, ["POST"], scope="update:users"
        ),
        Route("/_sim/email-relay", relay_control, methods=["GET", "POST"]),
    ]
