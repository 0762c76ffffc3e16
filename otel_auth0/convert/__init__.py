"""Auth0 event → OpenTelemetry conversion: the single mapping every receiver uses."""
