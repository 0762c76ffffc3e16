"""Tenant configuration profiles the readiness suite reads: ``good`` passes every production check,
``misconfigured`` fails each check it can on one tenant (built-in email provider, localhost callbacks,
legacy grants, weak password policy, hard-coded secrets, no MFA policy, suspended log stream, ...).

:func:`tenant_config` returns fresh JSON-ready data each time, so callers may modify it.
"""

from __future__ import annotations

from typing import Any

from otel_auth0_sim.profiles_audit import add_audit_reads
from otel_auth0_sim.profiles_catalog import add_catalog_reads
from otel_auth0_sim.profiles_large import grow
from otel_auth0_sim.state import DEFAULT_CLIENT_ID

LEGACY_RO = "http://auth0.com/oauth/legacy/grant-type/ro"
SUPPORT_FROM = "Example Support <support@example-sim.test>"
BUILT_IN_FROM = "no-reply@auth0user.net"
DEFAULT_VERIFY_SUBJECT = "Verify your email"
CANONICAL_DOMAIN = "example-sim.us.auth0.com"
PASSWORD_RESET = "password-reset-post-challenge"
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
        "cross_origin_authentication": False,
        "refresh_token": {
            "rotation_type": "rotating",
            "expiration_type": "expiring",
            "token_lifetime": 2592000,
            "idle_token_lifetime": 1296000,
            "infinite_token_lifetime": False,
            "infinite_idle_token_lifetime": False,
        },
        **fields,
    }


def _action(id: str, name: str, trigger: str, code: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": id,
        "name": name,
        "runtime": "node22",
        "status": "built",
        "all_changes_deployed": True,
        "supported_triggers": [{"id": trigger, "version": "v3" if trigger == "post-login" else "v1"}],
        "code": code,
        "dependencies": [],
        "secrets": [{"name": "ROLES_API_TOKEN"}] if "event.secrets" in code else [],
        **fields,
    }


# A syntactically valid public key for the simulated Payments API's token encryption (not a real key).
PAYMENTS_KEY_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsimulatedsimulatedsimulatedsimulatedsim\n"
    "-----END PUBLIC KEY-----\n"
)


def _binding(action_id: str, name: str) -> dict[str, Any]:
    return {"id": f"bnd_{action_id[4:]}", "display_name": name, "action": {"id": action_id, "name": name}}


def _good(base_url: str) -> dict[str, Any]:
    return {
        "settings": {
            "friendly_name": "Example (simulated)",
            "support_email": "support@example-sim.test",
            "support_url": "https://support.example-sim.test",
            "default_redirection_uri": "https://app.example-sim.test/login",
            "allowed_logout_urls": ["https://app.example-sim.test/"],
            "error_page": {
                "url": "https://app.example-sim.test/error",
                "html": "<html><body><p>{{ error_description | escape }}</p></body></html>",
                "show_log_link": False,
            },
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
                "enable_dynamic_client_registration": False,
                "disable_clickjack_protection_headers": False,
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
                token_endpoint_auth_method="private_key_jwt",
                client_authentication_methods={"private_key_jwt": {"credentials": [{"id": "cred_web01"}]}},
                oidc_logout={"backchannel_logout_urls": ["https://app.example-sim.test/backchannel-logout"]},
                compliance_level="fapi1_adv_pkj_par",
                require_pushed_authorization_requests=True,
                signed_request_object={"required": True, "credentials": [{"id": "cred_jar01"}]},
                require_proof_of_possession=True,
            ),
            _client(
                "spa0000000000000000000000000001",
                "Example SPA",
                "spa",
                token_endpoint_auth_method="none",
                callbacks=["https://spa.example-sim.test/callback"],
                web_origins=["https://spa.example-sim.test"],
                allowed_logout_urls=["https://spa.example-sim.test/"],
                initiate_login_uri="https://spa.example-sim.test/login",
            ),
            _client(
                DEFAULT_CLIENT_ID,
                "otel-auth0 collector",
                "non_interactive",
                grant_types=["client_credentials"],
            ),
        ],
        "client_grants": [
            {
                "id": "cgr_0000000000000001",
                "client_id": DEFAULT_CLIENT_ID,
                "audience": f"{base_url}/api/v2/",
                "scope": ["read:logs", "read:clients", "read:connections", "read:tenant_settings"],
            }
        ],
        "connections": [
            {
                "id": "con_db0000000001",
                "name": "Username-Password-Authentication",
                "strategy": "auth0",
                "is_domain_connection": False,
                "options": {
                    "passwordPolicy": "good",
                    "password_complexity_options": {"min_length": 12},
                    "password_history": {"enable": True, "size": 5},
                    "password_dictionary": {"enable": True, "dictionary": []},
                    "password_no_personal_info": {"enable": True},
                    "authentication_methods": {"password": {"enabled": True}, "passkey": {"enabled": True}},
                    "attributes": {"email": {"identifier": {"active": True}, "verification_method": "otp"}},
                    "enabledDatabaseCustomization": True,
                    "import_mode": True,
                    "customScripts": {
                        "login": "function login(email, password, callback) {\n"
                        "  const key = configuration.LEGACY_API_KEY;\n"
                        "  request.post({url: configuration.LEGACY_URL, auth: {bearer: key}}, callback);\n}",
                    },
                },
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
                "id": "rs_mgmt000000001",
                "name": "Auth0 Management API",
                "identifier": f"{base_url}/api/v2/",
                "is_system": True,
                "subject_type_authorization": {
                    "user": {"policy": "require_client_grant"},
                    "client": {"policy": "require_client_grant"},
                },
            },
            {
                "id": "rs_api0000000001",
                "name": "Example API",
                "identifier": "https://api.example-sim.test/",
                "signing_alg": "RS256",
                "token_lifetime": 3600,
                "enforce_policies": True,
                "token_dialect": "access_token_authz",
                "subject_type_authorization": {
                    "user": {"policy": "allow_all"},
                    "client": {"policy": "require_client_grant"},
                },
                "proof_of_possession": {"mechanism": "dpop", "required": True},
            },
            {
                "id": "rs_pay0000000001",
                "name": "Payments API",
                "identifier": "https://payments.example-sim.test/",
                "signing_alg": "PS256",
                "token_lifetime": 600,
                "enforce_policies": True,
                "proof_of_possession": {"mechanism": "mtls", "required": True},
                "authorization_details": [{"type": "payment_initiation"}],
                "consent_policy": "transactional-authorization-with-mfa",
                "token_encryption": {
                    "format": "compact-nested-jwe",
                    "encryption_key": {
                        "name": "payments-key",
                        "alg": "RSA-OAEP-256",
                        "kid": "pay-2026",
                        "pem": PAYMENTS_KEY_PEM,
                    },
                },
            },
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
            "breached-password-detection": {
                "enabled": True,
                "shields": ["block", "admin_notification"],
                "method": "standard",
                "stage": {
                    "pre-user-registration": {"shields": ["block"]},
                    "pre-change-password": {"shields": ["block", "user_notification"]},
                },
            },
            "bot-detection": {
                "bot_detection_level": "medium",
                "challenge_password_policy": "when_risky",
                "challenge_passwordless_policy": "when_risky",
                "challenge_password_reset_policy": "always",
                "allowlist": [],
                "monitoring_mode_enabled": False,
            },
            "captcha": {"active_provider_id": "auth_challenge"},
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
        "event_streams": [
            {
                "id": "est_0000000000000001",
                "name": "user-lifecycle",
                "status": "enabled",
                "subscriptions": [{"event_type": "user.created"}, {"event_type": "user.deleted"}],
                "destination": {
                    "type": "webhook",
                    "configuration": {"webhook_endpoint": "https://collector.example-sim.test/auth0/events"},
                },
            }
        ],
        "network_acls": [
            {
                "id": "acl_0000000000000001",
                "description": "Logins only through the custom domain",
                "active": True,
                "priority": 1,
                "rule": {
                    "match": {"hostnames": [CANONICAL_DOMAIN]},
                    "scope": "authentication",
                    "action": {"block": True},
                },
            },
            {
                "id": "acl_0000000000000002",
                "description": "Management API from the admin network only",
                "active": True,
                "priority": 2,
                "rule": {
                    "not_match": {"ipv4_cidrs": ["198.51.100.0/24"]},
                    "scope": "management",
                    "action": {"block": True},
                },
            },
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
            _action(
                "act_0000000000000001",
                "add-roles",
                "post-login",
                "exports.onExecutePostLogin = async (event, api) => {\n"
                "  const roles = await fetchRoles(event.user.user_id, event.secrets.ROLES_API_TOKEN);\n"
                "  api.idToken.setCustomClaim('https://example-sim.test/roles', roles);\n};",
                dependencies=[{"name": "axios", "version": "1.7.7"}],
            ),
            _action(
                "act_0000000000000002",
                "enforce-pkce",
                "post-login",
                "exports.onExecutePostLogin = async (event, api) => {\n"
                "  if (event.transaction.protocol === 'oidc-basic-profile'\n"
                "      && !event.request.query.code_challenge) { api.access.deny('PKCE required'); }\n};",
            ),
            _action(
                "act_0000000000000004",
                "signup-domain-policy",
                "pre-user-registration",
                "exports.onExecutePreUserRegistration = async (event, api) => {\n"
                "  if (!event.user.email.endsWith('@example-sim.test')) {\n"
                "    api.access.deny('domain_not_allowed', 'We could not create your account.');\n  }\n};",
            ),
            _action(
                "act_0000000000000003",
                "password-reset-mfa",
                PASSWORD_RESET,
                "exports.onExecutePostChallenge = async (event, api) => {\n"
                "  api.authentication.challengeWith({ type: 'otp' });\n};",
            ),
        ],
        "action_bindings": {
            "post-login": [
                _binding("act_0000000000000001", "add-roles"),
                _binding("act_0000000000000002", "enforce-pkce"),
            ],
            PASSWORD_RESET: [_binding("act_0000000000000003", "password-reset-mfa")],
        },
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
        allow_legacy_ro_grant_types=True,
        enable_legacy_profile=True,
        enable_idtoken_api2=True,
        enable_dynamic_client_registration=True,
        disable_clickjack_protection_headers=True,
    )
    for key in ("support_url", "default_redirection_uri", "allowed_logout_urls"):
        settings.pop(key)
    settings["error_page"] = {"html": "<html><body><p>{{ error_description }}</p></body></html>"}
    settings.update(
        sandbox_version="18",
        session_lifetime=720,
        idle_session_lifetime=168,
        default_audience="https://api.example-sim.test/",
        default_directory="Legacy-Users",
    )
    web, spa = config["clients"][0], config["clients"][1]
    web["callbacks"].append("http://localhost:3000/callback")
    web["allowed_origins"] = ["http://127.0.0.1:3000"]
    web["web_origins"].append("https://*.example-sim.test")
    web["allowed_logout_urls"].append("http://app.example-sim.test/")
    web["grant_types"] += [LEGACY_RO, "implicit"]
    web["jwt_configuration"]["alg"] = "HS256"
    web["cross_origin_authentication"] = True
    web["refresh_token"].update(rotation_type="non-rotating", expiration_type="non-expiring")
    web["token_endpoint_auth_method"] = "client_secret_post"
    for key in (
        "initiate_login_uri",
        "client_authentication_methods",
        "oidc_logout",
        "require_pushed_authorization_requests",
        "signed_request_object",
        "require_proof_of_possession",
    ):
        web.pop(key)
    spa["allowed_logout_urls"] = []
    config["client_grants"].append(
        {
            "id": "cgr_0000000000000002",
            "client_id": web["client_id"],
            "audience": f"{base_url}/api/v2/",
            "scope": ["read:users", "update:users"],
        }
    )
    db = config["connections"][0]
    db["is_domain_connection"] = True
    db["options"].update(
        passwordPolicy="low",
        password_complexity_options={"min_length": 8},
        password_history={"enable": False, "size": 0},
        password_dictionary={"enable": False},
        password_no_personal_info={"enable": False},
        authentication_methods={"password": {"enabled": True}, "passkey": {"enabled": False}},
        attributes={"email": {"identifier": {"active": True}, "verification_method": "none"}},
        import_mode=False,
        customScripts={
            "login": "function login(email, password, callback) {\n"
            '  const apiKey = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";\n'
            "  request.post({url: 'https://legacy.example-sim.test', auth: {bearer: apiKey}}, callback);\n}"
        },
    )
    config["connections"][1]["options"] = {"email": True, "profile": True, "scope": ["email", "profile"]}
    # no client_id / client_secret of its own: Auth0 development keys
    management, api, payments = config["resource_servers"]
    management["subject_type_authorization"]["user"]["policy"] = "allow_all"
    api.update(signing_alg="HS256", token_lifetime=2592000, enforce_policies=False)
    api.pop("proof_of_possession")
    payments.pop("consent_policy")
    payments["token_encryption"]["format"] = "jwe"  # not the compact-nested-jwe Auth0 decrypts
    config["email_provider"] = None  # built-in test provider
    config["email_templates"] = {
        "reset_email": {**config["email_templates"]["reset_email"], "enabled": False}
    }
    protection = config["attack_protection"]
    protection["brute-force-protection"].update(shields=["user_notification"], max_attempts=50)
    protection["suspicious-ip-throttling"]["enabled"] = False
    protection["breached-password-detection"]["stage"] = {"pre-user-registration": {"shields": []}}
    protection["bot-detection"].update(challenge_password_policy="never", allowlist=["203.0.113.5"])
    config["log_streams"][0]["status"] = "suspended"
    config["event_streams"][0]["status"] = "disabled"
    config["network_acls"] = []
    config["guardian_factors"] = [
        {**factor, "enabled": factor["name"] in ("sms", "email")} for factor in config["guardian_factors"]
    ]
    config["guardian_policies"] = []
    config["phone_provider"] = {"provider": "auth0"}
    config["prompts"]["universal_login_experience"] = "classic"
    add_roles = config["actions"][0]
    add_roles["runtime"] = "node16"
    add_roles["code"] = add_roles["code"].replace(
        "event.secrets.ROLES_API_TOKEN", '"rk_live_0a1b2c3d4e5f6g7h8i9j"'
    )
    signup = next(a for a in config["actions"] if a["name"] == "signup-domain-policy")
    signup["code"] = signup["code"].replace(
        "'We could not create your account.'", "'An account with this email already exists.'"
    )
    add_roles["dependencies"] = [
        {"name": "axios", "version": "0.21.1"},
        {"name": "lodash", "version": "latest"},
    ]
    config["action_bindings"] = {
        "post-login": config["action_bindings"]["post-login"][:1],
        PASSWORD_RESET: [],
    }
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
    """The configuration of a tenant in ``profile`` (``good``, ``misconfigured``, ``large`` or
    ``essentials``, the ``good`` tenant on a smaller plan) served at
    ``base_url`` (``scheme://host:port``, so its OIDC connection points back at the simulator as it is
    served), with every read of Auth0's audit tools (:mod:`otel_auth0_sim.profiles_audit`)."""
    config = _misconfigured(base_url) if profile == "misconfigured" else _good(base_url)
    if profile == "large":
        grow(config)
    domain = base_url.split("://", 1)[-1]
    return add_catalog_reads(add_audit_reads(config, profile, domain), profile)
