"""Tenant configuration profiles the readiness suite reads: ``good`` passes Auth0's production checks,
``misconfigured`` fails the typical ones (built-in email provider, localhost callbacks, legacy grants,
no log stream, rules and hooks still enabled, HS256, Auth0's phone provider, ...).

:func:`tenant_config` returns fresh JSON-ready data each time, so callers may modify it.
"""

from __future__ import annotations

from typing import Any

from otel_auth0_sim.profiles_audit import add_audit_reads
from otel_auth0_sim.profiles_large import grow
from otel_auth0_sim.state import DEFAULT_CLIENT_ID

LEGACY_RO = "http://auth0.com/oauth/legacy/grant-type/ro"
SUPPORT_FROM = "Example Support <support@example-sim.test>"
BUILT_IN_FROM = "no-reply@auth0user.net"
DEFAULT_VERIFY_SUBJECT = "Verify your email"
DEFAULT_VERIFY_BODY = "<html><body><p>Please verify your email address: {{ url }}</p></body></html>"


def _client(client_id: str, name: str, app_type: str, **fields: Any) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "name": name,
        "app_type": app_type,
        "grant_types": ["authorization_code", "refresh_token"],
        "callbacks": [],
        "allowed_origins": [],
        "web_origins": [],
        "allowed_logout_urls": [],
        "jwt_configuration": {"alg": "RS256", "lifetime_in_seconds": 36000},
        **fields,
    }


def _good(base_url: str) -> dict[str, Any]:
    return {
        "settings": {
            "friendly_name": "Example (simulated)",
            "support_email": "support@example-sim.test",
            "support_url": "https://support.example-sim.test",
            "default_redirection_uri": "https://app.example-sim.test/login",
            "allowed_logout_urls": ["https://app.example-sim.test/"],
            "error_page": {"url": "https://app.example-sim.test/error", "show_log_link": False},
            "sandbox_version": "22",
            "default_directory": "Username-Password-Authentication",
            "session_lifetime": 72,
            "idle_session_lifetime": 24,
            "flags": {
                "enable_idtoken_api2": False,
                "allow_legacy_ro_grant_types": False,
                "allow_legacy_tokeninfo_endpoint": False,
                "allow_legacy_delegation_grant_types": False,
                "enable_legacy_profile": False,
                "change_pwd_flow_v1": False,
            },
        },
        "clients": [
            _client(
                "app0000000000000000000000000001",
                "Example web app",
                "regular_web",
                callbacks=["https://app.example-sim.test/callback"],
                web_origins=["https://app.example-sim.test"],
                allowed_logout_urls=["https://app.example-sim.test/"],
                initiate_login_uri="https://app.example-sim.test/login",
            ),
            _client(
                DEFAULT_CLIENT_ID,
                "otel-auth0 collector",
                "non_interactive",
                grant_types=["client_credentials"],
            ),
        ],
        "connections": [
            {
                "id": "con_db0000000001",
                "name": "Username-Password-Authentication",
                "strategy": "auth0",
                "options": {},
            },
            {
                "id": "con_gg0000000001",
                "name": "google-oauth2",
                "strategy": "google-oauth2",
                "options": {
                    "client_id": "example.apps.googleusercontent.test",
                    "client_secret": "configured",
                },
            },
            {
                "id": "con_oidc00000001",
                "name": "partner-idp",
                "strategy": "oidc",
                "options": {"discovery_url": f"{base_url}/.well-known/openid-configuration"},
            },
        ],
        "resource_servers": [
            {
                "id": "rs_api0000000001",
                "name": "Example API",
                "identifier": "https://api.example-sim.test/",
                "signing_alg": "RS256",
            }
        ],
        "email_provider": {
            "name": "smtp",
            "enabled": True,
            "default_from_address": "support@example-sim.test",
            "credentials": {"smtp_host": "smtp.example-sim.test", "smtp_port": 587, "smtp_user": "auth0"},
        },
        "email_templates": {
            "verify_email": {
                "template": "verify_email",
                "enabled": True,
                "from": SUPPORT_FROM,
                "subject": "Confirm your Example account",
                "syntax": "liquid",
                "body": "<html><body><h1>Welcome to Example</h1><p>Confirm: {{ url }}</p></body></html>",
                "urlLifetimeInSeconds": 432000,
            },
            "reset_email": {
                "template": "reset_email",
                "enabled": True,
                "from": SUPPORT_FROM,
                "subject": "Reset your Example password",
                "syntax": "liquid",
                "body": "<html><body><p>Reset your password: {{ url }}</p></body></html>",
            },
            "welcome_email": {
                "template": "welcome_email",
                "enabled": True,
                "from": SUPPORT_FROM,
                "subject": "Welcome to Example",
                "syntax": "liquid",
                "body": "<html><body><p>Welcome!</p></body></html>",
            },
        },
        "attack_protection": {
            "brute-force-protection": {
                "enabled": True,
                "shields": ["block", "user_notification"],
                "mode": "count_per_identifier_and_ip",
                "max_attempts": 10,
                "allowlist": [],
            },
            "suspicious-ip-throttling": {
                "enabled": True,
                "shields": ["block", "admin_notification"],
                "allowlist": [],
            },
            "breached-password-detection": {"enabled": True, "shields": ["block"], "method": "standard"},
        },
        "log_streams": [
            {
                "id": "lst_0000000000000001",
                "name": "otel-auth0",
                "type": "http",
                "status": "active",
                "sink": {"httpEndpoint": "https://collector.example-sim.test/auth0/logs"},
            }
        ],
        "custom_domains": [
            {
                "custom_domain_id": "cd_0000000000000001",
                "domain": "login.example-sim.test",
                "primary": True,
                "status": "ready",
                "type": "auth0_managed_certs",
            }
        ],
        "guardian_factors": [
            {"name": "otp", "enabled": True, "trial_expired": False},
            {"name": "webauthn-roaming", "enabled": True, "trial_expired": False},
            {"name": "sms", "enabled": True, "trial_expired": False},
            {"name": "email", "enabled": False, "trial_expired": False},
        ],
        "guardian_policies": ["all-applications"],
        "phone_provider": {"provider": "twilio"},
        "prompts": {
            "universal_login_experience": "new",
            "identifier_first": True,
            "webauthn_platform_first_factor": False,
        },
        "actions": [
            {
                "id": "act_0000000000000001",
                "name": "add-roles",
                "runtime": "node22",
                "status": "built",
                "supported_triggers": [{"id": "post-login", "version": "v3"}],
            }
        ],
        "rules": [
            {
                "id": "rul_0000000000000001",
                "name": "old-rule",
                "enabled": False,
                "order": 1,
                "stage": "login_success",
            }
        ],
        "hooks": [],
    }


def _misconfigured(base_url: str) -> dict[str, Any]:
    config = _good(base_url)
    settings = config["settings"]
    settings["flags"].update(
        allow_legacy_ro_grant_types=True, enable_legacy_profile=True, enable_idtoken_api2=True
    )
    for key in ("support_url", "default_redirection_uri", "error_page", "allowed_logout_urls"):
        settings.pop(key)
    settings["sandbox_version"] = "18"
    web = config["clients"][0]
    web["callbacks"].append("http://localhost:3000/callback")
    web["allowed_origins"] = ["http://127.0.0.1:3000"]
    web["grant_types"].append(LEGACY_RO)
    web["jwt_configuration"]["alg"] = "HS256"
    web.pop("initiate_login_uri")
    config["connections"][1]["options"] = {}  # Auth0 development keys
    config["email_provider"] = None  # built-in test provider
    config["email_templates"] = {
        "reset_email": {**config["email_templates"]["reset_email"], "enabled": False}
    }
    config["attack_protection"]["breached-password-detection"]["enabled"] = False
    config["attack_protection"]["suspicious-ip-throttling"]["enabled"] = False
    config["log_streams"] = []
    config["custom_domains"] = []
    config["phone_provider"] = {"provider": "auth0"}
    config["prompts"]["universal_login_experience"] = "classic"
    config["actions"][0]["runtime"] = "node16"
    config["rules"][0]["enabled"] = True
    config["hooks"] = [
        {
            "id": "hk_0000000000000001",
            "name": "pre-registration",
            "enabled": True,
            "triggerId": "pre-user-registration",
        }
    ]
    return config


def tenant_config(profile: str, base_url: str) -> dict[str, Any]:
    """The configuration of a tenant in ``profile`` (``good``, ``misconfigured`` or ``large``) served at
    ``base_url`` (``scheme://host:port``, so its OIDC connection points back at the simulator as it is
    served), with every read of Auth0's audit tools (:mod:`otel_auth0_sim.profiles_audit`)."""
    config = _misconfigured(base_url) if profile == "misconfigured" else _good(base_url)
    if profile == "large":
        grow(config)
    return add_audit_reads(config, profile, base_url.split("://", 1)[-1])
