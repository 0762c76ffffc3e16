"""Completes a profile with every read Auth0's own audit tools send, in the shape Auth0 answers: client
grants, event streams, network ACLs, bot detection and CAPTCHA, breached-password ``stage``, branding,
action triggers, bindings and dependencies, and the plan's missing features. Data a profile already
has (the readiness checks' own cases) is kept; only what is missing is added.

``good``, ``misconfigured`` and ``large`` are enterprise-like tenants (every feature); ``essentials`` is
the ``good`` tenant on a plan without event streams, tenant ACLs or bot detection (those reads answer
403 with Auth0's error body).
"""

from __future__ import annotations

from typing import Any

CREATED = "2026-01-15T09:30:00.000Z"
UPDATED = "2026-06-01T12:00:00.000Z"
MANAGEMENT_AUDIENCE = "https://{domain}/api/v2/"
TRIGGERS = (
    ("post-login", "v3", ["node18", "node22"], "node22"),
    ("credentials-exchange", "v2", ["node18", "node22"], "node22"),
    ("pre-user-registration", "v2", ["node18", "node22"], "node22"),
    ("post-user-registration", "v2", ["node18", "node22"], "node22"),
    ("post-change-password", "v2", ["node18", "node22"], "node22"),
    ("send-phone-message", "v2", ["node18", "node22"], "node22"),
)


def _client_grants(config: dict[str, Any], domain: str) -> list[dict[str, Any]]:
    """One grant per machine-to-machine application, to the Management API or the first API."""
    grants = []
    for index, client in enumerate(c for c in config["clients"] if c["app_type"] == "non_interactive"):
        grants.append(
            {
                "id": f"cgr_{index:016d}",
                "client_id": client["client_id"],
                "audience": MANAGEMENT_AUDIENCE.format(domain=domain),
                "scope": ["read:logs", "read:clients", "read:tenant_settings"],
                "subject_type": "client",
            }
        )
    return grants


def _event_streams() -> list[dict[str, Any]]:
    return [
        {
            "id": "est_0000000000000001",
            "name": "user-lifecycle",
            "subscriptions": [{"event_type": "user.created"}, {"event_type": "user.deleted"}],
            "destination": {
                "type": "webhook",
                "configuration": {
                    "webhook_endpoint": "https://hooks.example-sim.test/auth0/events",
                    "webhook_authorization": {"method": "bearer"},
                },
            },
            "status": "enabled",
            "created_at": CREATED,
            "updated_at": UPDATED,
        }
    ]


def _network_acls() -> list[dict[str, Any]]:
    return [
        {
            "id": "acl_0000000000000001",
            "description": "Block sanctioned regions",
            "active": True,
            "priority": 1,
            "rule": {
                "action": {"block": True},
                "match": {"geo_country_codes": ["KP"]},
                "scope": "tenant",
            },
            "created_at": CREATED,
            "updated_at": UPDATED,
        }
    ]


def _actions(config: dict[str, Any]) -> None:
    """Auth0's full action objects: triggers, dependencies, secrets, deployment."""
    for action in config["actions"]:
        action.setdefault("dependencies", [{"name": "lodash", "version": "4.17.21"}])
        action.setdefault("secrets", [{"name": "API_KEY", "updated_at": UPDATED}])
        action.setdefault("code", "exports.onExecutePostLogin = async (event, api) => {};")
        action.setdefault("all_changes_deployed", True)
        action.setdefault("created_at", CREATED)
        action.setdefault("updated_at", UPDATED)
        action.setdefault("built_at", UPDATED)
        action.setdefault("deploy", True)


def _bindings(config: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    bindings: dict[str, list[dict[str, Any]]] = {}
    for index, action in enumerate(config["actions"]):
        for trigger in action["supported_triggers"]:
            bindings.setdefault(trigger["id"], []).append(
                {
                    "id": f"bnd_{index:016d}",
                    "trigger_id": trigger["id"],
                    "display_name": action["name"],
                    "action": {
                        "id": action["id"],
                        "name": action["name"],
                        "supported_triggers": [trigger],
                        "runtime": action["runtime"],
                        "status": action["status"],
                    },
                    "created_at": CREATED,
                    "updated_at": UPDATED,
                }
            )
    return bindings


def _complete_event_streams(streams: list[dict[str, Any]]) -> None:
    """Auth0 always answers a webhook stream with its authorization method and timestamps."""
    for stream in streams:
        stream.setdefault("created_at", CREATED)
        stream.setdefault("updated_at", UPDATED)
        configuration = stream.get("destination", {}).get("configuration")
        if isinstance(configuration, dict):
            configuration.setdefault("webhook_authorization", {"method": "bearer"})


def _complete_bindings(bindings: dict[str, list[dict[str, Any]]], actions: list[dict[str, Any]]) -> None:
    """Bindings carry their trigger, timestamps and the bound action's triggers and runtime."""
    by_id = {action["id"]: action for action in actions}
    for trigger, rows in bindings.items():
        for row in rows:
            row.setdefault("trigger_id", trigger)
            row.setdefault("created_at", CREATED)
            row.setdefault("updated_at", UPDATED)
            action = by_id.get(row.get("action", {}).get("id"))
            if action is not None:
                for key in ("supported_triggers", "runtime", "status"):
                    row["action"].setdefault(key, action[key])


def add_audit_reads(config: dict[str, Any], profile: str, domain: str) -> dict[str, Any]:
    """``config`` completed with every read Auth0's audit tools send (in place; also returned)."""
    config["plan_lacks"] = (
        ["event_streams", "network_acls", "bot-detection"] if profile == "essentials" else []
    )
    config.setdefault("client_grants", _client_grants(config, domain))
    _complete_event_streams(config.setdefault("event_streams", _event_streams()))
    config.setdefault("network_acls", _network_acls())
    protection = config["attack_protection"]
    breached = protection["breached-password-detection"]
    breached.setdefault("admin_notification_frequency", ["daily"])
    breached.setdefault(
        "stage",
        {"pre-user-registration": {"shields": ["block"]}, "pre-change-password": {"shields": ["block"]}},
    )
    protection.setdefault(
        "bot-detection",
        {
            "bot_detection_level": "medium",
            "challenge_password_policy": "when_risky",
            "challenge_passwordless_policy": "when_risky",
            "challenge_password_reset_policy": "when_risky",
            "allowlist": [],
            "monitoring_mode_enabled": False,
        },
    )
    protection.setdefault(
        "captcha", {"active_provider_id": "auth_challenge", "auth_challenge": {"fail_open": False}}
    )
    config.setdefault(
        "branding",
        {
            "colors": {"primary": "#0059d6", "page_background": "#ffffff"},
            "logo_url": "https://app.example-sim.test/logo.png",
            "favicon_url": "https://app.example-sim.test/favicon.ico",
            "font": {"url": "https://app.example-sim.test/font.woff2"},
        },
    )
    _actions(config)
    config["action_triggers"] = [
        {
            "id": trigger,
            "version": version,
            "status": "CURRENT",
            "runtimes": runtimes,
            "default_runtime": default,
        }
        for trigger, version, runtimes, default in TRIGGERS
    ]
    _complete_bindings(config.setdefault("action_bindings", _bindings(config)), config["actions"])
    return config
