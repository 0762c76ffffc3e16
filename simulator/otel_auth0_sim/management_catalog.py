"""Management API collections: each list read with Auth0's pagination, documented filters and
``fields`` projection, its one-record read by id (404 with Auth0's body when absent), and the lists
nested under a record (``roles/{id}/permissions``, ``clients/{id}/credentials``, ...).

The table :data:`COLLECTIONS` is the single description of what is served; docs/simulator.md and
the contract test (tests/integration/test_management_contract.py) follow it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from otel_auth0_sim.listing import Filter, apply_filters, boolean, contains, one_of, project, trigger
from otel_auth0_sim.management_api import api_error, management_route
from otel_auth0_sim.management_config import PLAN_MESSAGES, Config, checkpoint_page, offset_page
from otel_auth0_sim.state import TenantState

PROJECTED = ("clients", "connections", "rules", "hooks", "resource_servers")


@dataclass(frozen=True)
class Collection:
    """A list read at ``/api/v2/<path>`` of the profile's ``data`` rows answered under ``key``.

    ``paging``: ``offset`` (``page``/``per_page``/``include_totals``), ``checkpoint``
    (``from``/``take`` → ``{key, next}``), ``either`` (checkpoint when ``from`` or ``take`` is
    given), ``envelope`` (always ``{total, page, per_page, key}``) or ``bare`` (the whole array).
    """

    path: str
    data: str
    scope: str
    paging: str
    key: str
    id_key: str = "id"
    filters: tuple[Filter, ...] = ()
    missing: str = "inexistent_resource"
    feature: str | None = None
    summary: tuple[str, ...] = ()  # when set, the list answers only these fields (the by-id read all)


COLLECTIONS: tuple[Collection, ...] = (
    Collection(
        "clients",
        "clients",
        "read:clients",
        "offset",
        "clients",
        "client_id",
        (
            boolean("is_global", "global"),
            boolean("is_first_party", default=True),
            one_of("app_type"),
            one_of("client_ids", "client_id"),
        ),
        "inexistent_client",
    ),
    Collection(
        "connections",
        "connections",
        "read:connections",
        "either",
        "connections",
        filters=(one_of("strategy"), one_of("name")),
        missing="inexistent_connection",
    ),
    Collection(
        "client-grants",
        "client_grants",
        "read:client_grants",
        "either",
        "client_grants",
        filters=(
            one_of("audience"),
            one_of("client_id"),
            one_of("subject_type"),
            boolean("allow_any_organization"),
        ),
    ),
    Collection(
        "resource-servers",
        "resource_servers",
        "read:resource_servers",
        "offset",
        "resource_servers",
        filters=(one_of("identifiers", "identifier"),),
        missing="inexistent_resource_server",
    ),
    Collection(
        "rules",
        "rules",
        "read:rules",
        "offset",
        "rules",
        filters=(boolean("enabled"), one_of("stage")),
        missing="inexistent_rule",
    ),
    Collection(
        "hooks",
        "hooks",
        "read:hooks",
        "offset",
        "hooks",
        filters=(boolean("enabled"), trigger()),
        missing="inexistent_hook",
    ),
    Collection(
        "roles",
        "roles",
        "read:roles",
        "offset",
        "roles",
        filters=(contains("name_filter", "name"),),
        missing="inexistent_role",
    ),
    Collection(
        "organizations",
        "organizations",
        "read:organizations",
        "either",
        "organizations",
        missing="inexistent_organization",
    ),
    Collection(
        "forms",
        "forms",
        "read:forms",
        "offset",
        "forms",
        summary=("id", "name", "created_at", "updated_at", "embedded_at", "submitted_at"),
    ),
    Collection(
        "flows",
        "flows",
        "read:flows",
        "offset",
        "flows",
        summary=("id", "name", "created_at", "updated_at", "executed_at"),
    ),
    Collection(
        "flows/vault/connections",
        "flows_vault_connections",
        "read:flows_vault_connections",
        "offset",
        "connections",
    ),
    Collection(
        "actions/actions",
        "actions",
        "read:actions",
        "envelope",
        "actions",
        filters=(
            trigger(),
            one_of("actionName", "name"),
            boolean("deployed", "all_changes_deployed"),
            boolean("installed"),
        ),
    ),
    Collection("actions/modules", "action_modules", "read:actions", "envelope", "modules"),
    Collection("rules-configs", "rules_configs", "read:rules_configs", "bare", "rules_configs", "key"),
    Collection(
        "self-service-profiles",
        "self_service_profiles",
        "read:self_service_profiles",
        "offset",
        "self_service_profiles",
    ),
    Collection(
        "user-attribute-profiles",
        "user_attribute_profiles",
        "read:user_attribute_profiles",
        "checkpoint",
        "user_attribute_profiles",
    ),
    Collection(
        "connection-profiles",
        "connection_profiles",
        "read:connection_profiles",
        "checkpoint",
        "connection_profiles",
    ),
    Collection(
        "token-exchange-profiles",
        "token_exchange_profiles",
        "read:token_exchange_profiles",
        "checkpoint",
        "token_exchange_profiles",
    ),
    Collection(
        "rate-limit-policies",
        "rate_limit_policies",
        "read:rate_limit_policies",
        "checkpoint",
        "rate_limit_policies",
    ),
    Collection(
        "connections-directory-provisionings",
        "directory_provisionings",
        "read:directory_provisionings",
        "checkpoint",
        "directory_provisionings",
        "connection_id",
    ),
    Collection("log-streams", "log_streams", "read:log_streams", "bare", "log_streams"),
    Collection(
        "network-acls", "network_acls", "read:network_acls", "offset", "network_acls", feature="network_acls"
    ),
    Collection(
        "custom-domains",
        "custom_domains",
        "read:custom_domains",
        "bare",
        "custom_domains",
        "custom_domain_id",
    ),
    Collection("branding/phone/providers", "phone_providers", "read:phone_providers", "wrapped", "providers"),
    Collection("branding/phone/templates", "phone_templates", "read:phone_templates", "wrapped", "templates"),
)


@dataclass(frozen=True)
class Nested:
    """A list under one record of ``parent``: rows from ``data[<parent id>]`` (404 for an unknown parent)."""

    path: str
    parent: str
    data: str
    scope: str
    paging: str
    key: str
    id_key: str = "id"
    wrap: Callable[[Any], dict[str, Any]] | None = None


NESTED: tuple[Nested, ...] = (
    Nested(
        "clients/{id}/credentials",
        "clients",
        "client_credentials",
        "read:client_credentials",
        "bare",
        "credentials",
    ),
    Nested(
        "connections/{id}/clients",
        "connections",
        "connection_clients",
        "read:connections",
        "checkpoint",
        "clients",
        "client_id",
        wrap=lambda client_id: {"client_id": client_id},
    ),
    Nested("roles/{id}/permissions", "roles", "role_permissions", "read:roles", "offset", "permissions"),
    Nested("roles/{id}/users", "roles", "role_users", "read:roles", "checkpoint", "users", "user_id"),
    Nested(
        "organizations/{id}/enabled_connections",
        "organizations",
        "organization_connections",
        "read:organization_connections",
        "offset",
        "enabled_connections",
        "connection_id",
    ),
    Nested(
        "organizations/{id}/connections",
        "organizations",
        "organization_connections",
        "read:organization_connections",
        "offset",
        "connections",
        "connection_id",
        wrap=lambda row: {**row, "is_enabled": True},
    ),
    Nested(
        "organizations/{id}/clients",
        "organizations",
        "organization_clients",
        "read:organizations",
        "checkpoint",
        "clients",
        "client_id",
    ),
    Nested(
        "organizations/{id}/client-grants",
        "organizations",
        "organization_client_grants",
        "read:organization_client_grants",
        "offset",
        "client_grants",
    ),
    Nested(
        "organizations/{id}/discovery-domains",
        "organizations",
        "organization_discovery_domains",
        "read:organization_discovery_domains",
        "checkpoint",
        "domains",
    ),
)


def _answer(
    request: Request, rows: list[dict[str, Any]], paging: str, key: str, id_key: str, shape: Any
) -> Response:
    if paging == "either":
        paging = "checkpoint" if {"from", "take"} & set(request.query_params) else "offset"
    if paging == "checkpoint":
        return checkpoint_page(request, rows, key, id_key, shape=shape)
    if paging in ("offset", "envelope"):
        return offset_page(request, rows, key, envelope=paging == "envelope", shape=shape)
    served = [shape(row) for row in rows]
    return JSONResponse({key: served} if paging == "wrapped" else served)


def _find(rows: list[dict[str, Any]], id_key: str, wanted: str) -> dict[str, Any] | None:
    return next((row for row in rows if str(row.get(id_key)) == wanted), None)


def catalog_routes(state: TenantState, current: Config) -> list[Route]:
    """The list, by-id and nested reads of :data:`COLLECTIONS` and :data:`NESTED`."""
    routes: list[Route] = []
    by_data = {c.data: c for c in COLLECTIONS}

    def refused(spec: Collection) -> Response | None:
        if spec.feature is not None and spec.feature in current()["plan_lacks"]:
            return api_error(403, PLAN_MESSAGES[spec.feature], "operation_not_supported")
        return None

    def listing(spec: Collection) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            if (plan := refused(spec)) is not None:
                return plan
            rows = apply_filters(request, current()[spec.data], spec.filters)
            if spec.summary:
                rows = [{k: v for k, v in row.items() if k in spec.summary} for row in rows]
            shape = (lambda row: project(request, row)) if spec.data in PROJECTED else (lambda row: row)
            return _answer(request, rows, spec.paging, spec.key, spec.id_key, shape)

        return handler

    def one(spec: Collection) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            if (plan := refused(spec)) is not None:
                return plan
            wanted = request.path_params["id"]
            rows = current()[spec.data]
            row = _find(rows, spec.id_key, wanted)
            if row is None and spec.data == "resource_servers":
                row = _find(rows, "identifier", wanted)  # Auth0 accepts the API's identifier too
            if row is None:
                noun = spec.key.rstrip("s").replace("_", " ")
                return api_error(404, f"The {noun} does not exist.", spec.missing)
            return JSONResponse(project(request, row) if spec.data in PROJECTED else row)

        return handler

    def nested(spec: Nested) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            parent = by_data[spec.parent]
            config = current()
            wanted = request.path_params["id"]
            if _find(config[spec.parent], parent.id_key, wanted) is None:
                noun = parent.key.rstrip("s").replace("_", " ")
                return api_error(404, f"The {noun} does not exist.", parent.missing)
            rows = list(config.get(spec.data, {}).get(wanted, []))
            if spec.wrap is not None:
                rows = [spec.wrap(row) for row in rows]
            return _answer(request, rows, spec.paging, spec.key, spec.id_key, lambda row: row)

        return handler

    async def organization_by_name(request: Request) -> Response:
        row = _find(current()["organizations"], "name", request.path_params["name"])
        if row is None:
            return api_error(404, "No organization found by that name.", "inexistent_organization")
        return JSONResponse(row)

    for spec in COLLECTIONS:
        routes.append(management_route(state, f"/api/v2/{spec.path}", listing(spec), scope=spec.scope))
    for child in NESTED:
        routes.append(management_route(state, f"/api/v2/{child.path}", nested(child), scope=child.scope))
    routes.append(
        management_route(
            state, "/api/v2/organizations/name/{name}", organization_by_name, scope="read:organizations"
        )
    )
    for spec in COLLECTIONS:
        by_id = spec.paging != "bare" or spec.data in ("log_streams", "custom_domains")
        if by_id and spec.data != "directory_provisionings":  # read per connection on Auth0
            routes.append(management_route(state, f"/api/v2/{spec.path}/{{id}}", one(spec), scope=spec.scope))
    return routes
