@email
Feature: Email
  Users receive Auth0's emails (verification, password reset) from your own provider and templates.

  @critical
  Scenario: A custom email provider is configured
    Given the tenant configuration read through the Management API
    Then a custom email provider is configured

  @critical
  Scenario: A from-address is set
    Given the tenant configuration read through the Management API
    Then a from-address of our own is set

  @critical
  Scenario: The provider's SMTP host is reachable
    Given the tenant configuration read through the Management API
    Then the email provider's SMTP host is reachable

  @critical
  Scenario: SMTP EHLO, STARTTLS and AUTH succeed
    Given the SMTP server of the readiness configuration
    And the tenant configuration read through the Management API
    Then EHLO, STARTTLS and AUTH succeed with the configured credentials

  @critical
  Scenario: A verification email is delivered with the tenant's template
    Given the SMTP server of the readiness configuration
    When a verification email is triggered through the Management API
    Then it is delivered to the test mailbox with the tenant's custom template

  @recommended
  Scenario: Required email templates are enabled
    Given the tenant configuration read through the Management API
    Then the production check "email_templates" passes
