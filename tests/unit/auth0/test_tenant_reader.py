"""How the SDK reader classifies refusals: a missing scope is an error of the snapshot, a feature the
plan lacks is ``unavailable``, a 404 is ``None``; every list is paged to its end (mock transport)."""

from __future__ import annotations

import httpx

from otel_auth0.auth0.sdk import SdkSession
from otel_auth0.auth0.tenant_reader import read_tenant
from otel_auth0.config import Auth0Config

CONFIG = Auth0Config(domain="tenant.test", client_id="id", client_secret="secret")
BARE_LISTS = ("/log-streams", "/custom-domains", "/guardian/factors", "/guardian/policies")
BOT_DETECTION = {
    "bot_detection_level": "medium",
    "challenge_password_policy": "when_risky",
    "challenge_passwordless_policy": "when_risky",
    "challenge_password_reset_policy": "when_risky",
    "allowlist": [],
    "monitoring_mode_enabled": False,
}


def _error(status: int, message: str, code: str) -> httpx.Response:
    error = {403: "Forbidden", 404: "Not Found"}[status]
    return httpx.Response(
        status, json={"statusCode": status, "error": error, "message": message, "errorCode": code}
    )


def tenant(request: httpx.Request) -> httpx.Response:
    path = request.url.path.removeprefix("/api/v2")
    if request.url.path == "/oauth/token":
        return httpx.Response(200, json={"access_token": "t", "expires_in": 86400})
    if path == "/rules":
        return _error(403, "Insufficient scope, expected any of: read:rules", "insufficient_scope")
    if path == "/network-acls":
        return _error(403, "Please upgrade your subscription to enable Tenant ACL Management.", "x")
    if path == "/emails/provider":
        return _error(404, "There is no configured email provider", "inexistent_email_provider")
    if path == "/clients":
        page, per_page = int(request.url.params["page"]), int(request.url.params["per_page"])
        rows = [{"client_id": f"c{i}", "name": f"app {i}"} for i in range(230)][page * per_page :][:per_page]
        return httpx.Response(
            200, json={"start": page * per_page, "limit": per_page, "total": 230, "clients": rows}
        )
    if path == "/connections":
        start = int(request.url.params.get("from", "0"))
        rows = [
            {"id": str(i), "name": f"db{i}", "strategy": "auth0"} for i in range(start, min(start + 100, 120))
        ]
        body: dict[str, object] = {"connections": rows}
        if start + 100 < 120:
            body["next"] = str(start + 100)
        return httpx.Response(200, json=body)
    if path == "/attack-protection/bot-detection":
        return httpx.Response(200, json=BOT_DETECTION)
    return httpx.Response(200, json=[] if path in BARE_LISTS else {})


def test_refusals_are_classified_and_lists_read_to_the_end() -> None:
    with SdkSession(CONFIG, inner=httpx.MockTransport(tenant)) as session:
        snapshot = read_tenant(session, ["verify_email"])
    assert list(snapshot.errors) == ["/api/v2/rules"] and "read:rules" in snapshot.errors["/api/v2/rules"]
    assert list(snapshot.unavailable) == ["/api/v2/network-acls"] and snapshot.network_acls == []
    assert snapshot.email_provider is None
    assert len(snapshot.clients) == 230 and len(snapshot.connections) == 120
    assert snapshot.rules == [] and snapshot.event_streams == []
