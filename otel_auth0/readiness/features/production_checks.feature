@production_checks
Feature: Production checks
  Auth0's Dashboard "Run Readiness Check", verified through the Management API; the checks that have no
  API come from the attestations file.

  @critical
  Scenario Outline: Critical production check <check>
    Given the tenant configuration read through the Management API
    Then the production check "<check>" passes

    Examples:
      | check                |
      | actions_node_runtime |
      | idtoken_api2_off     |
      | legacy_ro_grants_off |
      | legacy_tokeninfo_off |
      | legacy_delegation_off |
      | no_localhost_urls    |
      | email_provider       |
      | hooks_migrated       |
      | rules_migrated       |
      | mfa_phone_provider   |
      | legacy_profile_off   |
      | social_dev_keys      |
      | support_contact      |
      | tenant_login_uri     |

  @recommended
  Scenario Outline: Recommended production check <check>
    Given the tenant configuration read through the Management API
    Then the production check "<check>" passes

    Examples:
      | check                 |
      | log_streaming         |
      | custom_domain         |
      | custom_error_page     |
      | universal_login       |
      | email_templates       |
      | mfa_enabled           |
      | rs256                 |
      | logout_urls           |
      | application_login_uri |
      | attack_protection     |

  @manual
  Scenario Outline: Attested check <item>
    Given the attestations file
    Then "<item>" is attested and fresh

    Examples:
      | item                       |
      | environment_tag_production |
      | tenant_admin_mfa           |
      | custom_domain_in_emails    |
