"""Thin pytest-bdd step definitions: each step calls the readiness library and asserts its result."""
