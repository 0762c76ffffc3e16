"""``pytest features/`` runs the packaged readiness gates; the .feature files here link to
otel_auth0/readiness/features/. Select the tenant with --readiness-config FILE or
OTEL_AUTH0_READINESS_CONFIG (without one every scenario is skipped)."""

pytest_plugins = ["otel_auth0.readiness.pytest_plugin"]
