"""Loading rule files: the default set shipped in ``otel_auth0/detections/rules/`` and users' own files.

Errors name the file and the key (``rules.0.threshold.windw: unknown key``); a user's rule with the
id of a default rule replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from otel_auth0.detections.model import Rule, RuleFile


class RuleFileError(ValueError):
    """A rule file that cannot be used; ``str()`` names the file and the offending key."""


def _format(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see docs/detections.md)"
        elif item["type"] == "missing":
            message = "required key is missing"
        problems.append(f"{key}: {message}" if key else message)
    return "; ".join(problems)


def parse_rules(text: str, name: str) -> list[Rule]:
    """Rules of one YAML document named ``name`` in errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RuleFileError(f"{name}: not valid YAML: {error}") from None
    try:
        rules = RuleFile.model_validate(data).rules
    except ValidationError as error:
        raise RuleFileError(f"{name}: {_format(error)}") from None
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleFileError(f"{name}: rule id {rule.id!r} is used twice")
        seen.add(rule.id)
    return rules


def load_rule_file(path: Path) -> list[Rule]:
    """Rules of a user's file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RuleFileError(f"{path}: cannot read: {error.strerror or error}") from None
    return parse_rules(text, str(path))


def default_rules() -> list[Rule]:
    """The shipped rule set, in file-name order."""
    return list(_default_rules())


@cache
def _default_rules() -> tuple[Rule, ...]:
    folder = resources.files("otel_auth0.detections") / "rules"
    rules: list[Rule] = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".yaml"):
            rules.extend(parse_rules(entry.read_text(encoding="utf-8"), f"default rules {entry.name}"))
    return tuple(rules)


def load_rules(files: Iterable[Path], defaults: bool = True, disabled: Sequence[str] = ()) -> list[Rule]:
    """Default rules (unless ``defaults`` is false) then each file's; later ids replace earlier ones;
    ids in ``disabled`` are left out."""
    by_id: dict[str, Rule] = {}
    for rule in default_rules() if defaults else []:
        by_id[rule.id] = rule
    for path in files:
        for rule in load_rule_file(Path(path)):
            by_id[rule.id] = rule
    unknown = [rule_id for rule_id in disabled if rule_id not in by_id]
    if unknown:
        raise RuleFileError(f"disabled_rules: no rule with id {', '.join(unknown)}")
    return [rule for rule_id, rule in by_id.items() if rule_id not in disabled]


def rules_problem(files: Iterable[Path], defaults: bool = True, disabled: Sequence[str] = ()) -> str | None:
    """Why :func:`load_rules` refuses these rules (the configuration's check of
    ``processors.detections``), or ``None``."""
    try:
        load_rules(files, defaults, disabled)
    except RuleFileError as error:
        return str(error)
    return None
