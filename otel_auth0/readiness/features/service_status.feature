@service_status
Feature: Service status
  Auth0 incidents and the identity providers the tenant depends on are visible before users report them.

  @recommended
  Scenario: The tenant's status feed is reachable and watched
    Given the readiness target
    Then the status feed is reachable and watched

  @recommended
  Scenario: External identity providers are reachable
    Given the tenant configuration read through the Management API
    Then every external identity provider is reachable
