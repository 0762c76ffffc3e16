"""The ``/_sim/`` controls are off unless enabled, and need the token when one is set."""

from __future__ import annotations

import pytest
from httpx import Response
from starlette.testclient import TestClient

from otel_auth0_sim.app import create_app
from otel_auth0_sim.middleware import ControlAccess
from otel_auth0_sim.state import TenantState


def _get(access: ControlAccess, path: str, headers: dict[str, str] | None = None) -> Response:
    app = create_app(TenantState("tenant.example:443"), controls=access)
    with TestClient(app, base_url="http://sim") as client:
        return client.get(path, headers=headers)


def test_controls_are_off_by_default() -> None:
    response = _get(ControlAccess(), "/_sim/stats")
    assert response.status_code == 404
    assert "--enable-controls" in response.json()["error"]


def test_enabled_controls_answer() -> None:
    assert _get(ControlAccess(enabled=True), "/_sim/stats").status_code == 200


@pytest.mark.parametrize(
    ("header", "status"),
    [(None, 401), ("Bearer wrong", 401), ("Bearer s3cret", 200)],
)
def test_control_token(header: str | None, status: int) -> None:
    headers = {"Authorization": header} if header else None
    assert _get(ControlAccess(token="s3cret"), "/_sim/stats", headers).status_code == status


def test_tenant_endpoints_do_not_need_controls() -> None:
    assert _get(ControlAccess(), "/.well-known/openid-configuration").status_code == 200
