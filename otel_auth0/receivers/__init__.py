"""Receivers: independent sources feeding the pipeline through :class:`~otel_auth0.pipeline.intake.Intake`."""
