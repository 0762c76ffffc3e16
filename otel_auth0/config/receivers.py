"""``receivers:``: a receiver is on when its key is present. Which keys exist and the type of each
section come from a receiver registry (the collector's is :mod:`otel_auth0.receivers.registry`); each
section's type lives beside its receiver and derives from :class:`ReceiverSettings`.

This package imports no receiver (receiver modules import it): the registry is an input of validation,
carried in the validation context (:data:`REGISTRY_CONTEXT`; see
:class:`~otel_auth0.config.components.Components`)."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, ValidationInfo, create_model
from pydantic_core import CoreSchema, core_schema

from otel_auth0.config.auth0 import Auth0Config
from otel_auth0.config.base import Duration, _Section, present_means_on

REGISTRY_CONTEXT = "receiver_registry"


class ReceiverSettings(_Section):
    """The base of every receiver's section. ``needs_tenant``: the receiver talks to the tenant, so
    ``auth0:`` is required when it is on. ``measures_tenant``: the receiver's success is the tenant's
    health (a login, the monitoring endpoints), not collection's, so ``/readyz`` does not call it stale."""

    needs_tenant: ClassVar[bool] = False
    measures_tenant: ClassVar[bool] = False

    def tenant_problem(self, name: str, auth0: Auth0Config | None) -> str | None:
        """What the ``auth0:`` section lacks for this receiver (as ``key: message``), or ``None``."""
        if self.needs_tenant and auth0 is None:
            return f"auth0: required when receivers.{name} is on"
        return None


class PeriodicSettings(ReceiverSettings):
    """The section of a receiver that works every ``interval`` (each sets its own default); the interval
    also says when ``/readyz`` finds the receiver stale (:mod:`otel_auth0.runtime_health`)."""

    interval: Duration = 60.0


SettingsT = TypeVar("SettingsT", bound=ReceiverSettings)


class SectionKind(Protocol):
    """What validation needs of a registry entry (a receiver factory): the type of its section."""

    @property
    def config_type(self) -> type[ReceiverSettings]:
        """The section's pydantic model."""


SectionKinds = Mapping[str, SectionKind]


def registry_in(context: object) -> SectionKinds:
    """The registry a validation context carries; a TypeError without one (a programming error:
    ``receivers:`` cannot be typed without it)."""
    if isinstance(context, Mapping) and context.get(REGISTRY_CONTEXT) is not None:
        registry: SectionKinds = context[REGISTRY_CONTEXT]
        return registry
    raise TypeError("receivers: validated without a receiver registry; pass Components to parse_config")


def section_types(registry: SectionKinds) -> dict[str, type[ReceiverSettings]]:
    """Each key allowed under ``receivers:`` and the type of its section."""
    return {name: kind.config_type for name, kind in registry.items()}


@functools.cache
def _sections_model(kinds: tuple[tuple[str, type[ReceiverSettings]], ...]) -> type[BaseModel]:
    """A strict model with one optional field per receiver, so pydantic reports unknown keys and
    errors inside a section at their own key (``receivers.logs_api.take``)."""
    fields: dict[str, Any] = {name: (config_type | None, None) for name, config_type in kinds}
    return create_model(
        "ReceiversConfig", __config__=ConfigDict(extra="forbid", protected_namespaces=()), **fields
    )


_AS_MAPPING = core_schema.dict_schema(core_schema.str_schema(), core_schema.any_schema())


class ReceiversConfig(Mapping[str, ReceiverSettings]):
    """The sections present under ``receivers:``, by key, in registry order. Typed access:
    ``receivers.section(LogsApiConfig)`` is the ``LogsApiConfig`` section or ``None``."""

    def __init__(self, sections: Mapping[str, ReceiverSettings] | None = None) -> None:
        self._sections = dict(sections or {})

    def section(self, config_type: type[SettingsT]) -> SettingsT | None:
        """The section of type ``config_type`` (each receiver has its own type), or ``None``."""
        for settings in self._sections.values():
            if isinstance(settings, config_type):
                return settings
        return None

    def __getitem__(self, name: str) -> ReceiverSettings:
        return self._sections[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sections)

    def __len__(self) -> int:
        return len(self._sections)

    def __repr__(self) -> str:
        return f"ReceiversConfig({self._sections!r})"

    @classmethod
    def validate(cls, data: object, info: ValidationInfo) -> ReceiversConfig:
        """Validate the ``receivers:`` mapping against the registry in ``info.context``."""
        if isinstance(data, ReceiversConfig):
            return data
        types = section_types(registry_in(info.context))
        model = _sections_model(tuple(types.items()))
        validated = model.model_validate(present_means_on(data), context=info.context)
        present = {name: getattr(validated, name) for name in types}
        return cls({name: settings for name, settings in present.items() if settings is not None})

    @classmethod
    def __get_pydantic_core_schema__(cls, source: object, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.with_info_plain_validator_function(
            cls.validate,
            serialization=core_schema.plain_serializer_function_ser_schema(dict, return_schema=_AS_MAPPING),
        )
