@production_checks
Feature: Production checks
  Auth0's Dashboard "Run Readiness Check" and every topic of auth0-checkmate, verified through the
  Management API (see the table in docs/readiness.md); the checks that have no API come from the
  attestations file. The email checks (email_provider, email_templates) run once, in email.feature.

  @critical
  Scenario Outline: Critical production check <check>
    Given the tenant configuration read through the Management API
    Then the production check "<check>" passes

    Examples:
      | check                           |
      | idtoken_api2_off                |
      | legacy_tokeninfo_off            |
      | legacy_profile_off              |
      | dynamic_client_registration_off |
      | support_contact                 |
      | tenant_login_uri                |
      | sandbox_version                 |
      | error_page_escaped              |
      | actions_node_runtime            |
      | actions_no_hardcoded_secrets    |
      | rules_migrated                  |
      | hooks_migrated                  |
      | mgmt_api_user_access            |
      | legacy_ro_grants_off            |
      | legacy_delegation_off           |
      | no_localhost_urls               |
      | app_callbacks_secure            |
      | app_origins_secure              |
      | app_grant_types                 |
      | mgmt_api_backend_only           |
      | brute_force_protection          |
      | suspicious_ip_throttling        |
      | breached_password_detection     |
      | db_password_policy              |
      | db_custom_scripts_secrets       |
      | social_dev_keys                 |
      | mfa_policy                      |
      | mfa_phone_provider              |
      | log_streams_healthy             |

  @recommended
  Scenario Outline: Recommended production check <check>
    Given the tenant configuration read through the Management API
    Then the production check "<check>" passes

    Examples:
      | check                        |
      | clickjack_protection         |
      | custom_error_page            |
      | session_lifetimes            |
      | default_audience_unset       |
      | default_directory            |
      | universal_login              |
      | actions_dependencies         |
      | actions_no_user_enumeration  |
      | actions_password_reset_mfa   |
      | api_signing_alg              |
      | api_token_lifetime           |
      | api_rbac                     |
      | api_sender_constrained       |
      | api_rar_enforced             |
      | api_token_encryption         |
      | app_logout_urls_secure       |
      | logout_urls                  |
      | app_token_endpoint_auth      |
      | app_pkce_enforced            |
      | refresh_token_rotation       |
      | rs256                        |
      | cross_origin_auth_off        |
      | application_login_uri        |
      | backchannel_logout           |
      | app_par_required             |
      | app_jar_required             |
      | app_sender_constrained       |
      | bot_detection                |
      | db_password_complexity       |
      | db_password_history          |
      | db_password_dictionary       |
      | db_password_no_personal_info |
      | db_email_verification        |
      | db_passkeys                  |
      | db_external_store_import     |
      | connections_not_promoted     |
      | custom_domain                |
      | canonical_domain_blocked     |
      | network_acl                  |
      | mgmt_api_acl                 |
      | mfa_enabled                  |
      | mfa_strong_factor            |
      | log_streaming                |
      | event_streams_healthy        |

  @manual
  Scenario Outline: Attested check <item>
    Given the attestations file
    Then "<item>" is attested and fresh

    Examples:
      | item                       |
      | environment_tag_production |
      | tenant_admin_mfa           |
      | custom_domain_in_emails    |
