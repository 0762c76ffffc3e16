"""Binds the .feature files in this directory to the packaged readiness steps."""

from pytest_bdd import scenarios

scenarios(".")
