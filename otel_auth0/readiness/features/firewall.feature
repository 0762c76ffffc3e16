@firewall
Feature: Firewall
  Auth0 reaches the services it calls (custom DB API, SMTP, log-stream receiver), and the firewall
  admits exactly Auth0's published outbound IPs.

  @critical
  Scenario: Every inbound target accepts connections
    Given the inbound targets of the readiness configuration
    Then every inbound target accepts TCP, and TLS or STARTTLS where configured

  @critical
  Scenario: The allowlist covers Auth0's outbound IPs
    Given the firewall allowlist and Auth0's published ranges for the region
    Then the allowlist covers every outbound IP of the region
