"""Rule files: the default set, users' files, and errors that name the file and the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from otel_auth0.collector_config import parse_config
from otel_auth0.config import ConfigError
from otel_auth0.detections.loader import RuleFileError, default_rules, load_rules
from otel_auth0.detections.rules_doc import render, section_in_document

DOC = Path(__file__).resolve().parents[3] / "docs" / "detections.md"
RULE = """
rules:
  - id: {id}
    title: Many signups
    severity: warn
    description: Signups from one IP.
    runbook: Block the IP.
    match: {{type: [ss]}}
    threshold: {{count: 5, {window_key}: 1m, group_by: [ip]}}
"""


def write(tmp_path: Path, rule_id: str = "many_signups", window_key: str = "window") -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(RULE.format(id=rule_id, window_key=window_key), encoding="utf-8")
    return path


def test_a_users_rule_is_added_to_the_defaults(tmp_path: Path) -> None:
    ids = [rule.id for rule in load_rules([write(tmp_path)])]
    assert ids == [rule.id for rule in default_rules()] + ["many_signups"]


def test_a_users_rule_replaces_the_default_with_its_id(tmp_path: Path) -> None:
    rules = {rule.id: rule for rule in load_rules([write(tmp_path, "brute_force")])}
    assert rules["brute_force"].title == "Many signups"
    assert len(rules) == len(default_rules())


def test_a_typo_is_refused_naming_the_file_and_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, window_key="windw")
    with pytest.raises(RuleFileError) as error:
        load_rules([path])
    assert str(error.value).startswith(f"{path}: ")
    assert "rules.0.threshold.windw: unknown key" in str(error.value)


def test_the_configuration_refuses_a_bad_rule_file_at_load(tmp_path: Path) -> None:
    path = write(tmp_path, window_key="windw")
    expected = re.escape(f"processors.detections: {path}: ") + ".*rules.0.threshold.windw: unknown key"
    with pytest.raises(ConfigError, match=expected):
        parse_config({"processors": {"detections": {"rules_files": [str(path)]}}})
    with pytest.raises(ConfigError, match="cannot read"):
        parse_config({"processors": {"detections": {"rules_files": [str(tmp_path / "absent.yaml")]}}})


def test_duplicate_ids_unknown_disabled_ids_and_bad_values_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text(
        RULE.format(id="dup", window_key="window") + RULE.format(id="dup", window_key="window")[7:]
    )
    with pytest.raises(RuleFileError, match="'dup' is used twice"):
        load_rules([path])
    with pytest.raises(RuleFileError, match="disabled_rules: no rule with id nope"):
        load_rules([], disabled=["nope"])
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULE.format(id="Bad-Id", window_key="window").replace("severity: warn", "severity: loud"))
    with pytest.raises(RuleFileError) as error:
        load_rules([bad])
    assert "rules.0.id" in str(error.value) and "rules.0.severity" in str(error.value)


def test_disabled_rules_are_left_out() -> None:
    ids = {rule.id for rule in load_rules([], disabled=["log_gap"])}
    assert "log_gap" not in ids and "brute_force" in ids


def test_every_default_rule_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `([a-z0-9_]+)`", text, flags=re.MULTILINE))
    assert documented == {rule.id for rule in default_rules()}
    for rule in default_rules():
        section = text.split(f"### `{rule.id}`", 1)[1].split("\n### ", 1)[0]
        assert "What to do" in section and "Threshold" in section, rule.id


def test_the_default_rules_section_is_current() -> None:
    assert section_in_document(DOC.read_text(encoding="utf-8")) == render()
