"""The demo's summary adds up: counts relate to what the tenant logged, types carry their catalog
labels, and the "next" hint is a complete command line."""

from __future__ import annotations

import shlex
from collections import Counter
from pathlib import Path

from rich.console import Console

from otel_auth0.cli import build_parser
from otel_auth0.commands.demo import NEXT_CONFIG, Summary, delivery_line, print_summary
from otel_auth0.config import load_config
from otel_auth0.receivers.logs_api_config import LogsApiConfig


def _printed(summary: Summary, logged: int | None, tmp_path: Path) -> str:
    console = Console(record=True, width=400)
    next_config = tmp_path / "otel-auth0.yaml"
    next_config.write_text(NEXT_CONFIG, encoding="utf-8")
    print_summary(console, summary, tmp_path / "out.jsonl", logged, next_config)
    return console.export_text()


def test_types_show_their_catalog_labels(tmp_path: Path) -> None:
    summary = Summary(by_type_outcome=Counter({("s", "success"): 3, ("fp", "failure"): 1}))
    text = _printed(summary, 4, tmp_path)
    assert "Login succeeded" in text and "Login failed: wrong password" in text
    assert "all 4 events the simulated tenant had logged when intake stopped were exported" in text


def test_counts_that_differ_are_explained() -> None:
    line = delivery_line(10, 12)
    assert line.startswith("10 of the 12 events") and "the other 2 were still on their way" in line


def test_next_hint_is_a_complete_command(tmp_path: Path) -> None:
    text = _printed(Summary(), None, tmp_path)
    command = text.split("next, against your tenant", 1)[1].splitlines()[1]
    words = shlex.split(command)
    assignments = [word for word in words if "=" in word and word.split("=", 1)[0].isupper()]
    argv = words[len(assignments) :]
    assert argv[0] == "otel-auth0"
    args = build_parser().parse_args(argv[1:])
    assert args.command == "run" and Path(args.config).is_file()
    environment = {name: value for name, _, value in (word.partition("=") for word in assignments)}
    assert {"AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET"} <= set(environment)
    config = load_config(args.config, environment)  # the variables it names are all it needs
    assert config.auth0 is not None and config.auth0.domain == environment["AUTH0_DOMAIN"]
    assert config.receivers.section(LogsApiConfig) is not None and config.exporters.otlp is not None
