"""docs/configuration.md documents every key of the configuration models, so the two cannot drift."""

from __future__ import annotations

import types
import typing
from pathlib import Path

from pydantic import BaseModel, Field

from otel_auth0.config import Config, ReceiversConfig
from otel_auth0.config.receivers import section_types
from otel_auth0.receivers.registry import RECEIVERS

CONFIGURATION_DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def _models(annotation: object) -> list[tuple[str, type[BaseModel]]]:
    """Models inside a field's annotation, with the path suffix their keys hang under
    (``""`` for a section, ``"[]"`` for list items, ``".*"`` for mapping values)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [("", annotation)]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple, set, frozenset):
        return [("[]" + suffix, model) for arg in args for suffix, model in _models(arg)]
    if origin is dict:
        return [(".*" + suffix, model) for suffix, model in _models(args[-1])]
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return [found for arg in args for found in _models(arg)]
    return []


def config_key_paths(model: type[BaseModel] = Config, prefix: str = "") -> list[str]:
    """Every key path a configuration file can contain, as the YAML spells it (aliases included);
    the keys under ``receivers:`` are the receiver registry's, each with its section's keys."""
    paths = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{field.alias or name}"
        paths.append(path)
        if field.annotation is ReceiversConfig:
            for receiver, section in section_types(RECEIVERS).items():
                paths.append(f"{path}.{receiver}")
                paths.extend(config_key_paths(section, f"{path}.{receiver}."))
        for suffix, sub_model in _models(field.annotation):
            paths.extend(config_key_paths(sub_model, f"{path}{suffix}."))
    return paths


def test_walker_reaches_nested_sections_lists_and_aliases() -> None:
    class Item(BaseModel):
        host: str
        sender: str = Field("", alias="from")

    class Section(BaseModel):
        items: list[Item] = []
        by_name: dict[str, Item] | None = None

    class Root(BaseModel):
        section: Section | None = None

    assert config_key_paths(Root) == [
        "section",
        "section.items",
        "section.items[].host",
        "section.items[].from",
        "section.by_name",
        "section.by_name.*.host",
        "section.by_name.*.from",
    ]
    every_receiver = {f"receivers.{name}" for name in section_types(RECEIVERS)}
    assert {"auth0.domain", "receivers.logs_api.take", "exporters.otlp.headers"} | every_receiver <= set(
        config_key_paths()
    )
    assert every_receiver == {
        "receivers.logs_api",
        "receivers.log_stream",
        "receivers.login_probe",
        "receivers.endpoint_check",
        "receivers.status",
        "receivers.notices",
        "receivers.event_stream",
    }


# A tenant's sections take the keys of their top-level counterparts, documented there.
TENANT_MIRRORS = {
    "tenants[].auth0.": "auth0.",
    "tenants[].receivers.": "receivers.",
    "tenants[].detections.": "processors.detections.",
}


def documented_as(path: str) -> str:
    """The key path whose documentation covers ``path`` (a tenant key's top-level counterpart)."""
    for prefix, mirror in TENANT_MIRRORS.items():
        if path.startswith(prefix):
            return mirror + path.removeprefix(prefix)
    return path


def test_every_configuration_key_is_documented() -> None:
    text = CONFIGURATION_DOC.read_text(encoding="utf-8")
    missing = [
        path
        for path in config_key_paths()
        if f"`{path}`" not in text and f"`{documented_as(path)}`" not in text
    ]
    assert not missing, f"docs/configuration.md does not document: {', '.join(missing)}"
