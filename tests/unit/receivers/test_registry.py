"""The receiver registry matches the configuration: one factory per section under ``receivers:``."""

from __future__ import annotations

import typing

from otel_auth0.config import ReceiversConfig
from otel_auth0.receivers.registry import RECEIVERS


def test_every_receiver_section_has_a_factory_of_its_type() -> None:
    hints = typing.get_type_hints(ReceiversConfig)
    assert set(RECEIVERS) == set(ReceiversConfig.model_fields)
    for name, factory in RECEIVERS.items():
        assert factory.name == name
        assert hints[name] == factory.config_type | None
        assert isinstance(factory.default_config(), factory.config_type)
