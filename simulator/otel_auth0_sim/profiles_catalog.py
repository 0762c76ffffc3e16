"""The rest of a tenant's configuration as Auth0 answers it: the global client ("All
Applications", last in the list as ``GET /clients`` includes it), client credentials, connection
clients, roles, organizations, forms and flows, rules scripts and rules-configs, self-service and
attribute profiles, phone branding, prompt partials, Guardian factor details, Actions modules, and
the newer profile lists (connection, token-exchange, rate-limit policies, directory provisioning).
Shapes and required fields follow Auth0's Management API reference.

Every profile carries these reads (Auth0 serves them on every plan); ``misconfigured`` keeps the
shapes with risky values (a support role holding a Management API permission, a rules-config for a
legacy key, no custom Universal Login template, voice as an MFA message type).
"""

from __future__ import annotations

from typing import Any

CREATED = "2026-01-15T09:30:00.000Z"
UPDATED = "2026-06-01T12:00:00.000Z"
GLOBAL_CLIENT_ID = "glb0000000000000000000000000001"
MANAGEMENT_API = "Auth0 Management API"
PROMPTS_WITH_PARTIALS = ("login", "login-id", "login-password", "login-passwordless", "signup", "signup-id")
EMAIL_TEMPLATE_NAMES = (
    "verify_email",
    "verify_email_by_code",
    "reset_email",
    "reset_email_by_code",
    "welcome_email",
    "blocked_account",
    "stolen_credentials",
    "enrollment_email",
    "mfa_oob_code",
    "user_invitation",
    "change_password",
    "password_reset",
    "async_approval",
)


def _global_client(tenant: str) -> dict[str, Any]:
    """Auth0's "All Applications" client: tenant-wide login page settings, ``global: true``."""
    return {
        "client_id": GLOBAL_CLIENT_ID,
        "tenant": tenant,
        "name": "All Applications",
        "global": True,
        "is_first_party": True,
        "oidc_conformant": False,
        "sso_disabled": False,
        "cross_origin_authentication": False,
        "callbacks": [],
        "is_token_endpoint_ip_header_trusted": False,
        "custom_login_page_on": True,
        "jwt_configuration": {"alg": "RS256", "lifetime_in_seconds": 36000, "secret_encoded": False},
    }


def _credentials(clients: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``GET /clients/{id}/credentials``: every credential a client's ``private_key_jwt`` or JAR names."""
    found: dict[str, list[dict[str, Any]]] = {}
    for client in clients:
        ids = [
            cred["id"]
            for key in ("client_authentication_methods", "signed_request_object")
            for cred in _credential_refs(client.get(key))
        ]
        found[client["client_id"]] = [
            {
                "id": cred_id,
                "name": f"{client['name']} key {index + 1}",
                "kid": f"kid-{cred_id}",
                "alg": "RS256",
                "credential_type": "public_key",
                "created_at": CREATED,
                "updated_at": UPDATED,
                "expires_at": "2027-01-15T09:30:00.000Z",
            }
            for index, cred_id in enumerate(ids)
        ]
    return found


def _credential_refs(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, dict):
        return []
    if "credentials" in value:
        return list(value["credentials"])
    return [
        cred
        for method in value.values()
        if isinstance(method, dict)
        for cred in method.get("credentials", [])
    ]


def _connection_clients(config: dict[str, Any]) -> dict[str, list[str]]:
    """Which applications each connection is enabled for (interactive apps on every connection;
    ``GET /connections/{id}/clients``, which replaced the connection's ``enabled_clients``), and
    the option defaults Auth0 fills in on database connections."""
    apps = [c["client_id"] for c in config["clients"] if c.get("app_type") not in (None, "non_interactive")]
    for connection in config["connections"]:
        if connection["strategy"] == "auth0":
            options = connection["options"]
            options.setdefault("disable_self_service_change_password", False)
            email = options.get("attributes", {}).get("email")
            if isinstance(email, dict):
                email.setdefault("unique", True)
    return {connection["id"]: list(apps) for connection in config["connections"]}


def _roles() -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    roles = [
        {"id": "rol_0000000000000001", "name": "admin", "description": "Tenant administrators"},
        {"id": "rol_0000000000000002", "name": "support", "description": "Support agents (read-only)"},
        {"id": "rol_0000000000000003", "name": "billing", "description": "Billing staff"},
    ]

    def permission(name: str, api: str = "https://api.example-sim.test/") -> dict[str, Any]:
        return {
            "permission_name": name,
            "description": name.replace(":", " "),
            "resource_server_name": "Example API",
            "resource_server_identifier": api,
        }

    permissions = {
        "rol_0000000000000001": [permission("read:reports"), permission("write:reports")],
        "rol_0000000000000002": [permission("read:reports")],
        "rol_0000000000000003": [],
    }
    return roles, permissions


def _organizations(config: dict[str, Any]) -> dict[str, Any]:
    database = next(c for c in config["connections"] if c["strategy"] == "auth0")
    organizations = [
        {
            "id": "org_0000000000000001",
            "name": "acme",
            "display_name": "Acme Corp",
            "branding": {
                "logo_url": "https://acme.example-sim.test/logo.png",
                "colors": {"primary": "#0059d6", "page_background": "#ffffff"},
            },
            "metadata": {"tier": "enterprise"},
        },
        {"id": "org_0000000000000002", "name": "globex", "display_name": "Globex", "metadata": {}},
    ]
    enabled = {
        "org_0000000000000001": [
            {
                "connection_id": database["id"],
                "assign_membership_on_login": False,
                "show_as_button": True,
                "is_signup_enabled": False,
                "connection": {"name": database["name"], "strategy": "auth0"},
            }
        ],
        "org_0000000000000002": [],
    }
    domains = {
        "org_0000000000000001": [
            {
                "id": "dd_0000000000000001",
                "domain": "acme.example-sim.test",
                "status": "verified",
                "verification_txt": "auth0-domain-verification=acme",
                "verification_host": "_auth0-challenge.acme.example-sim.test",
            }
        ],
        "org_0000000000000002": [],
    }
    web = config["clients"][0]
    members_app = {
        "client_id": web["client_id"],
        "use_for_member_access": False,
        "client": {
            "name": web["name"],
            "app_type": web["app_type"],
            "is_first_party": True,
            "organization_usage": "allow",
        },
    }
    return {
        "organizations": organizations,
        "organization_clients": {"org_0000000000000001": [members_app], "org_0000000000000002": []},
        "organization_connections": enabled,
        "organization_client_grants": {org["id"]: [] for org in organizations},
        "organization_discovery_domains": domains,
    }


def _forms_and_flows() -> dict[str, Any]:
    flow = {
        "id": "af_0000000000000001",
        "name": "Notify on signup",
        "created_at": CREATED,
        "updated_at": UPDATED,
        "executed_at": UPDATED,
        "actions": [
            {
                "id": "send_slack",
                "type": "SLACK",
                "action": "POST_MESSAGE",
                "allow_failure": True,
                "params": {"connection_id": "ac_0000000000000001", "text": "New signup: {{fields.email}}"},
            }
        ],
    }
    form = {
        "id": "ap_0000000000000001",
        "name": "Progressive profile",
        "created_at": CREATED,
        "updated_at": UPDATED,
        "embedded_at": UPDATED,
        "submitted_at": UPDATED,
        "languages": {"primary": "en"},
        "start": {"next_node": "step_profile", "coordinates": {"x": 0, "y": 0}},
        "nodes": [
            {
                "id": "step_profile",
                "type": "STEP",
                "coordinates": {"x": 300, "y": 0},
                "alias": "Profile",
                "config": {
                    "components": [
                        {
                            "id": "company",
                            "category": "FIELD",
                            "type": "TEXT",
                            "label": "Company",
                            "required": True,
                            "sensitive": False,
                            "config": {"multiline": False},
                        }
                    ],
                    "next_node": "$ending",
                },
            }
        ],
        "ending": {"resume_flow": True, "coordinates": {"x": 600, "y": 0}},
        "style": {"css": ""},
        "messages": {"errors": {}, "custom": {}},
        "translations": {},
    }
    vault = {
        "id": "ac_0000000000000001",
        "app_id": "SLACK",
        "name": "Slack (ops channel)",
        "account_name": "example-ops",
        "ready": True,
        "created_at": CREATED,
        "updated_at": UPDATED,
        "refreshed_at": UPDATED,
        "fingerprint": "a3f1c2d4e5b6",
    }
    return {"forms": [form], "flows": [flow], "flows_vault_connections": [vault]}


def _rules_script(config: dict[str, Any]) -> None:
    """Auth0 always answers a rule with its ``script`` (the Deploy CLI writes it to a file)."""
    for rule in config["rules"]:
        rule.setdefault(
            "script",
            "function (user, context, callback) {\n"
            "  context.idToken['https://example-sim.test/tier'] = configuration.TIER;\n"
            "  return callback(null, user, context);\n}",
        )


def _hooks_code(config: dict[str, Any]) -> None:
    """``GET /hooks/{id}`` answers a hook with its ``script`` and ``dependencies``."""
    for hook in config["hooks"]:
        hook.setdefault(
            "script",
            "module.exports = function (user, context, cb) {\n"
            "  cb(null, { user: { app_metadata: { plan: 'free' } } });\n};",
        )
        hook.setdefault("dependencies", {})


def _guardian() -> dict[str, Any]:
    return {
        "guardian_sms_templates": {
            "enrollment_message": "{{code}} is your verification code for {{tenant.friendly_name}}.",
            "verification_message": "{{code}} is your verification code for {{tenant.friendly_name}}.",
        },
        "guardian_twilio": {
            "from": "+15550100",
            "messaging_service_sid": "MG00000000000000000000000000000001",
            "sid": "AC00000000000000000000000000000001",
        },
        "guardian_sns": {
            "aws_access_key_id": "AKIASIMULATEDKEY0001",
            "aws_region": "us-east-1",
            "sns_apns_platform_application_arn": "arn:aws:sns:us-east-1:000000000000:app/APNS/example",
            "sns_gcm_platform_application_arn": "arn:aws:sns:us-east-1:000000000000:app/GCM/example",
        },
        "guardian_apns": {"bundle_id": "test.example-sim.app", "sandbox": False, "enabled": True},
        "guardian_push_provider": {"provider": "sns"},
        "guardian_sms_provider": {"provider": "twilio"},
        "guardian_message_types": {"message_types": ["sms"]},
    }


def _phone(tenant: str) -> dict[str, Any]:
    provider = {
        "id": "pro_0000000000000001",
        "tenant": tenant,
        "name": "twilio",
        "channel": "phone",
        "disabled": False,
        "configuration": {
            "sid": "AC00000000000000000000000000000001",
            "default_from": "+15550100",
            "delivery_methods": ["text"],
        },
        "created_at": CREATED,
        "updated_at": UPDATED,
    }
    templates = [
        {
            "id": f"tem_{index:016d}",
            "channel": "phone",
            "customizable": True,
            "tenant": tenant,
            "type": kind,
            "disabled": False,
            "content": {
                "syntax": "liquid",
                "from": "+15550100",
                "body": {"text": f"{{{{ code }}}} is your {label} code for Example.", "voice": ""},
            },
        }
        for index, (kind, label) in enumerate(
            (
                ("otp_verify", "verification"),
                ("otp_enroll", "enrolment"),
                ("change_password", "password change"),
            )
        )
    ]
    return {"phone_providers": [provider], "phone_templates": templates}


def _profiles(config: dict[str, Any]) -> dict[str, Any]:
    action_id = config["actions"][0]["id"]
    return {
        "self_service_profiles": [
            {
                "id": "ssp_0000000000000001",
                "name": "Enterprise SSO onboarding",
                "description": "Customer admins set up their own SAML or OIDC connection",
                "user_attributes": [
                    {"name": "email", "description": "Email address", "is_optional": False},
                    {"name": "name", "description": "Full name", "is_optional": True},
                ],
                "allowed_strategies": ["oidc", "samlp", "okta"],
                "branding": {
                    "logo_url": "https://app.example-sim.test/logo.png",
                    "colors": {"primary": "#0059d6"},
                },
                "created_at": CREATED,
                "updated_at": UPDATED,
            }
        ],
        "user_attribute_profiles": [
            {
                "id": "uap_0000000000000001",
                "name": "Workforce directory",
                "user_id": {"oidc_mapping": "sub", "saml_mapping": ["NameID"], "scim_mapping": "externalId"},
                "user_attributes": {
                    "email": {
                        "description": "Work email",
                        "label": "Email",
                        "profile_required": True,
                        "auth0_mapping": "email",
                        "oidc_mapping": {"mapping": "email"},
                        "saml_mapping": ["email"],
                        "scim_mapping": "emails[primary eq true].value",
                    }
                },
            }
        ],
        "connection_profiles": [
            {
                "id": "cop_0000000000000001",
                "name": "Partner OIDC",
                "organization": {"show_as_button": "optional", "assign_membership_on_login": "none"},
                "connection_name_prefix_template": "partner-{org_name}",
                "enabled_features": ["universal_logout"],
                "connection_config": {},
                "strategy_overrides": {},
            }
        ],
        "token_exchange_profiles": [
            {
                "id": "tep_0000000000000001",
                "name": "Legacy session exchange",
                "subject_token_type": "urn:example-sim:legacy-session",
                "action_id": action_id,
                "type": "custom_authentication",
                "created_at": CREATED,
                "updated_at": UPDATED,
            }
        ],
        "rate_limit_policies": [
            {
                "id": "rlp_0000000000000001",
                "resource": "oauth_authentication_api",
                "consumer": "client",
                "consumer_selector": config["clients"][0]["client_id"],
                "configuration": {"action": "block", "limit": 100},
                "created_at": CREATED,
                "updated_at": UPDATED,
            }
        ],
        "action_modules": [
            {
                "id": "mod_0000000000000001",
                "name": "shared-helpers",
                "code": "module.exports = { claim: (ns, key) => `${ns}/${key}` };",
                "dependencies": [{"name": "lodash", "version": "4.17.21"}],
                "secrets": [],
                "actions_using_module_total": 0,
                "all_changes_published": True,
                "latest_version_number": 1,
                "created_at": CREATED,
                "updated_at": UPDATED,
            }
        ],
    }


def _directory_provisionings(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Google Workspace / Entra ID inbound provisioning; the simulated tenants have no such
    connection, so the list is empty (as on any tenant without one)."""
    return [
        {
            "connection_id": c["id"],
            "connection_name": c["name"],
            "strategy": c["strategy"],
            "mapping": [{"auth0": "email", "idp": "primaryEmail"}],
            "synchronize_automatically": True,
            "synchronize_groups": "off",
            "created_at": CREATED,
            "updated_at": UPDATED,
        }
        for c in config["connections"]
        if c["strategy"] in ("google-apps", "waad")
    ]


def _misconfigure(config: dict[str, Any]) -> None:
    config["role_permissions"]["rol_0000000000000002"] = [
        *config["role_permissions"]["rol_0000000000000001"],
        {
            "permission_name": "read:users",
            "description": "read users",
            "resource_server_name": MANAGEMENT_API,
            "resource_server_identifier": config["resource_servers"][0]["identifier"],
        },
    ]
    config["rules_configs"] = [{"key": "TIER"}, {"key": "LEGACY_API_KEY"}]
    config["universal_login_template"] = None  # no custom page template: Auth0 answers 404
    config["supplemental_signals"] = {"akamai_enabled": False}
    config["guardian_message_types"] = {"message_types": ["sms", "voice"]}


def add_catalog_reads(config: dict[str, Any], profile: str) -> dict[str, Any]:
    """``config`` completed with the catalog reads (in place; also returned)."""
    tenant = "example-sim"
    clients = config["clients"]
    config["client_credentials"] = _credentials(clients)
    clients.append(_global_client(tenant))
    for client in clients:
        client.setdefault("global", False)
        client.setdefault("tenant", tenant)
        client.setdefault("is_first_party", True)
    config["connection_clients"] = _connection_clients(config)
    config["roles"], config["role_permissions"] = _roles()
    config.update(_organizations(config))
    config.update(_forms_and_flows())
    _rules_script(config)
    _hooks_code(config)
    config["rules_configs"] = [{"key": "TIER"}]
    config.update(_guardian())
    config.update(_phone(tenant))
    config.update(_profiles(config))
    config["directory_provisionings"] = _directory_provisionings(config)
    config["supplemental_signals"] = {"akamai_enabled": True}
    # prompt -> screen -> insertion point -> template (GET /prompts/{prompt}/partials answers the inner part)
    config["prompt_partials"] = {
        "login": {
            "login": {"form-content-end": '<div class="legal">By continuing you accept the terms.</div>'}
        }
    }
    config["risk_assessments"] = {"enabled": True}
    config["risk_new_device"] = {"remember_for": 30}
    config["universal_login_template"] = {
        "body": "<!DOCTYPE html><html><head>{%- auth0:head -%}</head><body>{%- auth0:widget -%}</body></html>"
    }
    config["hook_secrets"] = {hook["id"]: {"API_KEY": "_VALUE_NOT_SHOWN_"} for hook in config["hooks"]}
    if profile == "misconfigured":
        _misconfigure(config)
    return config
