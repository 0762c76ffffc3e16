"""The ``large`` profile: the ``good`` tenant grown to 150 applications, 60 connections and 40 APIs
(copies of its compliant database connection and API), so every list spans pages; one application
only on the second page of 100 still allows ``http://localhost`` (the readiness ``no_localhost_urls``
and ``app_callbacks_secure`` checks must find it). Its log history (see
:func:`otel_auth0_sim.history.backfill`) fills the last 24 hours with more than 5,000 events.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

APPLICATIONS = 150
CONNECTIONS = 60
RESOURCE_SERVERS = 40
LOCALHOST_APP_INDEX = 120
LOCALHOST_APP_NAME = "Legacy intranet portal"
_TYPES = ("spa", "regular_web", "native", "non_interactive")


def _application(index: int, template: dict[str, Any]) -> dict[str, Any]:
    app_type = _TYPES[index % len(_TYPES)]
    host = f"https://app{index:03d}.example-sim.test"
    interactive = app_type != "non_interactive"
    return {
        **template,
        "client_id": f"app{index:028d}",
        "name": f"Application {index:03d}",
        "app_type": app_type,
        "grant_types": ["authorization_code", "refresh_token"] if interactive else ["client_credentials"],
        "callbacks": [f"{host}/callback"] if interactive else [],
        "allowed_origins": [],
        "web_origins": [host] if app_type == "spa" else [],
        "allowed_logout_urls": [f"{host}/"] if interactive else [],
        "jwt_configuration": {"alg": "RS256", "lifetime_in_seconds": 36000},
        **({"initiate_login_uri": f"{host}/login"} if interactive else {}),
    }


def grow(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` (a ``good`` tenant) with the ``large`` profile's lists (in place; also returned)."""
    clients = config["clients"]
    template = {k: v for k, v in clients[0].items() if k != "initiate_login_uri"}
    clients.extend(_application(index, template) for index in range(len(clients), APPLICATIONS))
    portal = clients[LOCALHOST_APP_INDEX]
    portal["name"] = LOCALHOST_APP_NAME
    portal["callbacks"] = [*portal["callbacks"], "http://localhost:8080/callback"]
    connections = config["connections"]
    database = next(c for c in connections if c["strategy"] == "auth0")
    for index in range(len(connections), CONNECTIONS):
        name = f"customers-{index:02d}"
        connections.append(
            {**deepcopy(database), "id": f"con_lg{index:010d}", "name": name, "realms": [name]}
        )
    servers = config["resource_servers"]
    api = next(r for r in servers if not r.get("is_system"))
    for index in range(len(servers), RESOURCE_SERVERS):
        servers.append(
            {
                **deepcopy(api),
                "id": f"rs_lg{index:011d}",
                "name": f"API {index:02d}",
                "identifier": f"https://api{index:02d}.example-sim.test/",
            }
        )
    return config
