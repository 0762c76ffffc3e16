@rate_limits
Feature: Rate limits
  Nothing hits Auth0's rate limits, and the Management API budget has room to spare.

  @critical
  Scenario: No rate-limit events within the window
    Given the tenant logs of the rate-limit window
    Then there are no more rate-limit events than allowed

  @recommended
  Scenario: Rate-limit headroom is above the floor
    Given the tenant configuration read through the Management API
    Then the Management API rate-limit headroom is above the floor
