"""The tenant's name comes from the tenant (or ``auth0.tenant``), never from a custom domain's label."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from otel_auth0.auth0.tenant_identity import read_tenant_name, settle_tenant_name
from otel_auth0.collector_config import parse_config
from otel_auth0.config import Auth0Config
from otel_auth0.runtime import resource_attributes


@pytest.mark.parametrize(
    ("domain", "tenant", "expected"),
    [
        ("acme.us.auth0.com", None, "acme"),
        ("acme.auth0.com", None, "acme"),
        ("login.example.com", None, None),
        ("127.0.0.1:8443", None, None),
        ("login.example.com", "acme-prod", "acme-prod"),
        ("acme.us.auth0.com", "other", "other"),
    ],
)
def test_tenant_name(domain: str, tenant: str | None, expected: str | None) -> None:
    assert Auth0Config(domain=domain, tenant=tenant).tenant_name == expected


def test_custom_domain_puts_no_guessed_tenant_on_the_resource() -> None:
    attributes = resource_attributes(parse_config({"auth0": {"domain": "login.example.com"}}))
    assert "auth0.tenant.name" not in attributes
    assert attributes["auth0.domain"] == "login.example.com"
    configured = parse_config({"auth0": {"domain": "login.example.com", "tenant": "acme"}})
    assert resource_attributes(configured)["auth0.tenant.name"] == "acme"


def _mock_tenant(router: respx.Router, logs: list[dict[str, str]], status: int = 200) -> respx.Route:
    router.post("https://login.example.com/oauth/token").mock(
        return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 86400})
    )
    return router.get("https://login.example.com/api/v2/logs").mock(
        return_value=httpx.Response(status, json=logs if status == 200 else {"message": "no"})
    )


def test_name_is_read_from_the_newest_log_event() -> None:
    config = Auth0Config(domain="login.example.com", client_id="id", client_secret="secret")
    with respx.mock(assert_all_called=True) as router:
        route = _mock_tenant(router, [{"log_id": "1", "tenant_name": "acme-prod"}])
        asyncio.run(settle_tenant_name(config))
    assert route.calls.last.request.url.params["sort"] == "date:-1"
    assert config.tenant == "acme-prod" and config.tenant_name == "acme-prod"


def test_configured_tenant_wins_without_a_request() -> None:
    config = Auth0Config(domain="login.example.com", tenant="mine", client_id="id", client_secret="secret")
    with respx.mock(assert_all_called=False) as router:
        route = _mock_tenant(router, [{"tenant_name": "other"}])
        asyncio.run(settle_tenant_name(config))
    assert not route.called and config.tenant_name == "mine"


def test_no_logs_or_a_refusal_leaves_the_name_unknown() -> None:
    config = Auth0Config(domain="login.example.com", client_id="id", client_secret="secret")
    with respx.mock() as router:
        _mock_tenant(router, [])
        assert asyncio.run(read_tenant_name(config)) is None
    with respx.mock() as router:
        _mock_tenant(router, [], status=403)
        assert asyncio.run(read_tenant_name(config)) is None
    assert config.tenant_name is None


def test_without_credentials_nothing_is_read() -> None:
    assert asyncio.run(read_tenant_name(Auth0Config(domain="login.example.com"))) is None
