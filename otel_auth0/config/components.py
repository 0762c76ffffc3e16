"""What validating a configuration file takes from the collector's components, as the Collector's
configuration takes its factories: the receiver registry (the keys under ``receivers:`` and their
section types), the redactable attribute names and the detection rule loader.

The dependency points one way: the components import ``config/``, and ``config/`` imports none of
them. :mod:`otel_auth0.collector_config` binds the collector's own; a test may bind others (a registry
with a test receiver)."""

from __future__ import annotations

from dataclasses import dataclass

from otel_auth0.config.collector import (
    RULES_PROBLEM_CONTEXT,
    UNKNOWN_FIELDS_CONTEXT,
    RulesProblem,
    UnknownFields,
)
from otel_auth0.config.receivers import REGISTRY_CONTEXT, SectionKinds


@dataclass(frozen=True)
class Components:
    """The inputs of validation that come from outside the configuration package."""

    receivers: SectionKinds
    unknown_redact_fields: UnknownFields
    rules_problem: RulesProblem

    def context(self) -> dict[str, object]:
        """The pydantic validation context the sections read them from."""
        return {
            REGISTRY_CONTEXT: self.receivers,
            UNKNOWN_FIELDS_CONTEXT: self.unknown_redact_fields,
            RULES_PROBLEM_CONTEXT: self.rules_problem,
        }
