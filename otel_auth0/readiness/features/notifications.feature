@notifications
Feature: Notifications
  Changes announced by Auth0 (changelog, status, outbound IP ranges, security bulletins and SDK
  advisories) reach the team.

  @recommended
  Scenario: Changelog, status and IP-range watchers are configured
    Given the readiness target
    Then the changelog, status and IP-range watchers are configured

  @recommended
  Scenario: Security bulletins and SDK advisories are watched
    Given the readiness target
    Then security bulletins and SDK advisories are watched

  @manual
  Scenario Outline: Manual notification duty <item> is attested
    Given the attestations file
    Then "<item>" is attested and fresh

    Examples:
      | item                |
      | dashboard_admins    |
      | security_contact    |
      | status_subscription |
