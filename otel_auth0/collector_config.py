"""The collector's configuration: :mod:`otel_auth0.config` validated against the collector's own
components (the receiver registry, the redactable attribute names, the detection rule loader).

The configuration package imports no component, the components import it: this module binds the two
and is what commands, readiness, tests and benchmarks call to read a file."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from otel_auth0.config import Components, Config, loader
from otel_auth0.config.receivers import SectionKinds
from otel_auth0.convert.redactable import unknown_fields
from otel_auth0.detections.loader import rules_problem
from otel_auth0.receivers.registry import RECEIVERS

COMPONENTS = Components(RECEIVERS, unknown_redact_fields=unknown_fields, rules_problem=rules_problem)


def components(receivers: SectionKinds | None = None) -> Components:
    """The collector's components, with another receiver registry when given (a test receiver)."""
    return COMPONENTS if receivers is None else dataclasses.replace(COMPONENTS, receivers=receivers)


def parse_config(data: object, receivers: SectionKinds | None = None) -> Config:
    """Validate an already-loaded mapping (``receivers``: a registry other than the collector's)."""
    return loader.parse_config(data, components(receivers))


def load_config(
    path: Path | str, environ: Mapping[str, str] | None = None, receivers: SectionKinds | None = None
) -> Config:
    """Read, substitute ``${VAR}``, fill ``auth0:`` from ``AUTH0_*`` and validate a YAML configuration
    file (``receivers``: a registry other than the collector's)."""
    return loader.load_config(path, components(receivers), environ)
