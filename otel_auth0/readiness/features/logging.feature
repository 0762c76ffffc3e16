@logging
Feature: Logging
  Tenant logs leave Auth0 quickly and are kept for as long as required.

  @critical
  Scenario: Tenant logs are exported
    Given the tenant configuration read through the Management API
    Then an active log stream or a fresh poller checkpoint exports the logs

  @recommended
  Scenario: Export lag is under the threshold
    Given the readiness target
    Then the export lag is under the threshold

  @recommended
  Scenario: Logs are kept long enough
    Given the tenant configuration read through the Management API
    Then export is on when the plan's retention is shorter than required
