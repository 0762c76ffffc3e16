"""otel_auth0: Auth0 tenant telemetry as OpenTelemetry, and production-readiness gates."""

__version__ = "0.1.0"
