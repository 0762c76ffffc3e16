"""Receivers: independent sources that feed the pipeline through :class:`~otel_auth0.pipeline.intake.Intake`."""
