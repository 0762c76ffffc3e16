"""The simulator's readiness endpoints in-process: profile-driven reads, the verification-email job
(a send without a relay fails into an ``fn`` tenant log) and the ``/_sim/email-relay`` control."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from otel_auth0_sim.app import create_app
from otel_auth0_sim.auth_state import TEST_USERS
from otel_auth0_sim.middleware import ControlAccess
from otel_auth0_sim.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, TenantState
from tests.support.sim_app import DOMAIN, app_client

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(state: TenantState) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(create_app(state, controls=ControlAccess(enabled=True))) as test_client:
        body = {"grant_type": "client_credentials", "client_id": DEFAULT_CLIENT_ID}
        body |= {"client_secret": DEFAULT_CLIENT_SECRET, "audience": f"https://{DOMAIN}/api/v2/"}
        token = (await test_client.post("/oauth/token", json=body)).json()["access_token"]
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


async def test_reads_follow_the_profile(client: httpx.AsyncClient) -> None:
    provider = await client.get("/api/v2/emails/provider")
    assert provider.status_code == 200 and provider.json()["name"] == "smtp"
    assert "x-ratelimit-limit" in provider.headers
    assert (await client.post("/_sim/profile", json={"profile": "misconfigured"})).status_code == 200
    missing = await client.get("/api/v2/emails/provider")
    assert missing.status_code == 404 and missing.json()["errorCode"] == "inexistent_email_provider"
    assert [s["status"] for s in (await client.get("/api/v2/log-streams")).json()] == ["suspended"]
    flags = (await client.get("/api/v2/tenants/settings")).json()["flags"]
    assert flags["allow_legacy_ro_grant_types"] is True
    assert (await client.get("/api/v2/email-templates/verify_email")).status_code == 404
    unauthenticated = await client.get("/api/v2/clients", headers={"Authorization": ""})
    assert unauthenticated.status_code == 401


async def test_verification_email_without_relay_logs_fn(
    client: httpx.AsyncClient, state: TenantState
) -> None:
    bad = await client.post("/api/v2/jobs/verification-email", json={"user_id": "auth0|nobody"})
    assert bad.status_code == 404 and bad.json()["errorCode"] == "inexistent_user"
    assert (await client.post("/api/v2/jobs/verification-email", json={})).status_code == 400
    job = await client.post("/api/v2/jobs/verification-email", json={"user_id": TEST_USERS[0].user_id})
    assert job.status_code == 201 and job.json()["type"] == "verification_email"
    for _ in range(200):
        if any(e["type"] == "fn" for e in state.events):
            break
        await asyncio.sleep(0.01)
    failed = [e for e in state.events if e["type"] == "fn"]
    assert failed and "no SMTP relay configured" in failed[0]["details"]["error"]
    assert {e["type"] for e in state.events} >= {"svr", "fn"}


async def test_email_relay_control(client: httpx.AsyncClient) -> None:
    relay = {"host": "127.0.0.1", "port": 2525, "username": "qa", "password": "secret"}
    answer = (await client.post("/_sim/email-relay", json=relay)).json()
    assert answer["host"] == "127.0.0.1" and "password" not in answer
    credentials = (await client.get("/api/v2/emails/provider")).json()["credentials"]
    assert (credentials["smtp_host"], credentials["smtp_port"]) == ("127.0.0.1", 2525)
    assert (await client.post("/_sim/email-relay", json={"host": "h", "port": 0})).status_code == 400


async def test_reads_of_the_newer_checks(client: httpx.AsyncClient) -> None:
    grants = (await client.get("/api/v2/client-grants")).json()
    assert [g["client_id"] for g in grants] == [DEFAULT_CLIENT_ID]
    streams = (await client.get("/api/v2/event-streams")).json()["eventStreams"]  # Auth0's key
    assert [s["status"] for s in streams] == ["enabled"]
    acls = (await client.get("/api/v2/network-acls")).json()
    assert {a["rule"]["scope"] for a in acls} == {"authentication", "management"}
    bindings = (await client.get("/api/v2/actions/triggers/post-login/bindings")).json()["bindings"]
    assert [b["action"]["name"] for b in bindings] == ["add-roles", "enforce-pkce"]
    bot = (await client.get("/api/v2/attack-protection/bot-detection")).json()
    assert bot["challenge_password_policy"] == "when_risky"
    assert (await client.post("/_sim/profile", json={"profile": "misconfigured"})).status_code == 200
    assert (await client.get("/api/v2/network-acls")).json() == []
    reset = (await client.get("/api/v2/actions/triggers/password-reset-post-challenge/bindings")).json()
    assert reset == {"bindings": [], "total": 0, "page": 0, "per_page": 50}
