@monitoring
Feature: Monitoring
  Auth0 is watched from the outside: a synthetic login, the monitoring endpoint, and telemetry that
  actually reaches the observability backend.

  @critical
  Scenario: The synthetic login succeeds within the threshold
    Given the readiness target
    Then the synthetic login succeeds within the probe threshold

  @recommended
  Scenario: The monitoring endpoint answers OK
    Given the readiness target
    Then /testall answers OK

  @recommended
  Scenario: Probe telemetry reaches the configured OTLP endpoint
    Given the readiness target
    Then a test span is accepted by the configured OTLP endpoint
