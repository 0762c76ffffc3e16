"""Configuration: one YAML file with ``${VAR}`` / ``${env:VAR}`` (``:-default``) substitution, validated
by pydantic.

Every error names the offending key (``receivers.logs_api.take``) and the problem; the CLI turns a
:class:`ConfigError` into exit code 2. ``AUTH0_DOMAIN``, ``AUTH0_CLIENT_ID`` and ``AUTH0_CLIENT_SECRET``
(the Auth0 CLI's names) fill the ``auth0:`` keys the file leaves out.

Validation takes the collector's components as an input (:class:`~otel_auth0.config.components.Components`);
:mod:`otel_auth0.collector_config` binds the collector's and is what callers use.
"""

from __future__ import annotations

import difflib
import os
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from otel_auth0.config.base import ConfigError, Problem
from otel_auth0.config.collector import Config
from otel_auth0.config.components import Components
from otel_auth0.config.receivers import ReceiversConfig, SectionKinds, section_types
from otel_auth0.config.tenants import tenant_problems

_ENV_PATTERN = re.compile(r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# Anything that looks like a reference, valid or not: what is not valid is reported, never kept.
_REFERENCE = re.compile(r"\$\{[^}\n]*\}|\$\{[\w:.-]*")
# auth0 key -> environment variable that fills it when the file leaves it out.
AUTH0_ENVIRONMENT = {
    "domain": "AUTH0_DOMAIN",
    "client_id": "AUTH0_CLIENT_ID",
    "client_secret": "AUTH0_CLIENT_SECRET",
}


def substitute_env(text: str, environ: Mapping[str, str] | None = None, key: str = "") -> str:
    """Replace ``${VAR}``, ``${env:VAR}`` and their ``:-default`` forms; an unset variable without
    default, or anything else written as ``${...}``, is an error naming ``key``."""
    env = os.environ if environ is None else environ
    where = f"{key}: " if key else ""

    def replace(match: re.Match[str]) -> str:
        reference = match.group(0)
        valid = _ENV_PATTERN.fullmatch(reference)
        if valid is None:
            raise ConfigError(
                f"{where}cannot resolve {reference}; write ${{VAR}}, ${{env:VAR}} or ${{env:VAR:-default}}",
                [
                    Problem(
                        key,
                        f"cannot resolve {reference}; write ${{VAR}}, ${{env:VAR}} or ${{env:VAR:-default}}",
                    )
                ],
            )
        name, default = valid.group(1), valid.group(2)
        value = env.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                message = (
                    f"environment variable {name} is not set (used as {reference}); "
                    f"set it or write ${{env:{name}:-default}}"
                )
                raise ConfigError(f"{where}{message}", [Problem(key, message)])
            return default
        return value

    return _REFERENCE.sub(replace, text)


_PLACEHOLDER = "__otel_auth0_env_{}__"
_PLACEHOLDER_PATTERN = re.compile(r"__otel_auth0_env_(\d+)__")


def _resolve_placeholders(
    node: object,
    references: list[str],
    environ: Mapping[str, str] | None,
    key: str,
    problems: list[ConfigError],
) -> object:
    """Put the substituted values into string values of the parsed tree (comments never count); each
    reference that cannot be resolved is added to ``problems``."""
    if isinstance(node, str):

        def resolve(match: re.Match[str]) -> str:
            try:
                return substitute_env(references[int(match.group(1))], environ, key)
            except ConfigError as error:
                problems.append(error)
                return ""

        return _PLACEHOLDER_PATTERN.sub(resolve, node)
    if isinstance(node, dict):
        return {
            k: _resolve_placeholders(v, references, environ, f"{key}.{k}" if key else str(k), problems)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [
            _resolve_placeholders(v, references, environ, f"{key}.{i}", problems) for i, v in enumerate(node)
        ]
    return node


def _swap_references(text: str) -> tuple[str, list[str]]:
    """``text`` with every ``${...}`` replaced by a YAML-safe placeholder, and the references."""
    references: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        references.append(match.group(0))
        return _PLACEHOLDER.format(len(references) - 1)

    return _REFERENCE.sub(placeholder, text), references


def _parse_yaml_with_env(text: str, environ: Mapping[str, str] | None) -> object:
    """Parse YAML where ``${VAR}`` may stand anywhere a value does, even inside ``{flow: mappings}``.

    References are swapped for YAML-safe placeholders before parsing and resolved afterwards, so a
    value containing ``:`` or ``#`` (a password) cannot change the document's structure."""
    swapped, references = _swap_references(text)
    data = yaml.safe_load(swapped)
    problems: list[ConfigError] = []
    resolved = _resolve_placeholders(data, references, environ, "", problems)
    if problems:
        raise ConfigError(
            "; ".join(str(problem) for problem in problems),
            [item for problem in problems for item in problem.problems],
        )
    return resolved


def fill_auth0_from_env(
    data: dict[str, object], environ: Mapping[str, str] | None = None
) -> dict[str, object]:
    """``data`` with the ``auth0:`` keys it leaves out taken from ``AUTH0_DOMAIN`` / ``_CLIENT_ID`` /
    ``_CLIENT_SECRET`` (a section is created only when ``AUTH0_DOMAIN`` is set)."""
    env = os.environ if environ is None else environ
    section = data.get("auth0")
    if (section is not None and not isinstance(section, dict)) or "tenants" in data:
        return data  # validation reports the wrong type; each tenant has its own auth0 section
    filled = dict(section or {})
    for key, variable in AUTH0_ENVIRONMENT.items():
        if filled.get(key) in (None, "") and env.get(variable):
            filled[key] = env[variable]
    if section is None and "domain" not in filled:
        return data
    return {**data, "auth0": filled}


Section = type[BaseModel] | type[ReceiversConfig]


def _keys(section: Section, registry: SectionKinds) -> dict[str, object]:
    """Each key a section may hold (as the YAML spells it) and the annotation of its value; the keys
    under ``receivers:`` come from the receiver registry."""
    if issubclass(section, ReceiversConfig):
        return dict(section_types(registry))
    return {field.alias or name: field.annotation for name, field in section.model_fields.items()}


def _model_at(path: tuple[str | int, ...], registry: SectionKinds) -> Section | None:
    """The configuration section found at ``path`` (None when the path leaves the sections)."""
    section: Section = Config
    for part in path:
        if isinstance(part, int):
            continue
        annotation = _keys(section, registry).get(part)
        found = _submodel(annotation)
        if found is None:
            return None
        section = found
    return section


def _submodel(annotation: object) -> Section | None:
    if annotation is ReceiversConfig:
        return ReceiversConfig
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) in (typing.Union, list):
        for argument in typing.get_args(annotation):
            found = _submodel(argument)
            if found is not None:
                return found
    return None


def _did_you_mean(path: tuple[str | int, ...], registry: SectionKinds) -> str:
    section = _model_at(path[:-1], registry)
    name = path[-1]
    if section is None or not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name, list(_keys(section, registry)), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def _key(path: tuple[str | int, ...]) -> str:
    """``receivers.logs_api.take``; under ``tenants`` list items are indexed: ``tenants[1].auth0.domain``."""
    if not path or path[0] != "tenants":
        return ".".join(str(part) for part in path)
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else part)
    return key


def _problems(error: ValidationError, registry: SectionKinds) -> list[Problem]:
    problems = []
    for item in error.errors():
        path = tuple(item["loc"])
        key = _key(path)
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key" + (
                _did_you_mean(path, registry) or " (check the spelling; see docs/configuration.md)"
            )
        elif item["type"] == "missing":
            message = "required key is missing"
        problems.append(Problem(key, message))
    return problems


def parse_config(data: object, components: Components) -> Config:
    """Validate an already-loaded mapping against ``components`` (among them the receiver registry,
    which says which ``receivers:`` keys exist and their types)."""
    if not isinstance(data, dict):
        message = "the configuration must be a mapping of keys to values"
        raise ConfigError(f"(top level): {message}", [Problem("", message)])
    try:
        config = Config.model_validate(data, context=components.context())
        problems = tenant_problems(config)
    except ValidationError as exc:
        problems = _problems(exc, components.receivers)
    if not problems:
        return config
    # Model-level checks already start their message with the key they are about.
    text = "; ".join(f"{p.key}: {p.message}" if p.key else p.message for p in problems)
    raise ConfigError(text, problems) from None


def _yaml_problem(error: yaml.YAMLError) -> str:
    """What is wrong and where (line, column), never the text around it: it may hold a secret."""
    problem = getattr(error, "problem", None) or "syntax error"
    mark = getattr(error, "problem_mark", None)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else problem


def load_config(path: Path | str, components: Components, environ: Mapping[str, str] | None = None) -> Config:
    """Read, substitute, fill ``auth0:`` from ``AUTH0_*`` and validate a YAML configuration file
    against ``components`` (see :func:`parse_config`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror or exc}") from None
    try:
        data = _parse_yaml_with_env(text, environ)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {_yaml_problem(exc)}") from None
    if isinstance(data, dict):
        data = fill_auth0_from_env(data, environ)
    return parse_config(data, components)


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """1-based line of every key path in a YAML document (list items by index)."""
    swapped, _ = _swap_references(text)
    lines: dict[tuple[str, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                child = (*path, str(key_node.value))
                lines[child] = key_node.start_mark.line + 1
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = (*path, str(index))
                lines[child] = item.start_mark.line + 1
                walk(item, child)

    try:
        root = yaml.compose(swapped)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, ())
    return lines
