"""Binds every packaged .feature file to the steps of :mod:`otel_auth0.readiness.pytest_plugin`."""

from pytest_bdd import scenarios

scenarios(".")
