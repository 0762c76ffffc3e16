"""The demo's summary adds up: counts relate to what the tenant logged, types carry their catalog
labels, and the "next" hint is a complete command line."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from otel_auth0.cli import build_parser
from otel_auth0.collector_config import load_config
from otel_auth0.commands.demo import NEXT_CONFIG, Summary, delivery_line, print_summary, summarise
from otel_auth0.pipeline.intake import LOGS_SCOPE
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


def _tenant_record(log_id: str, event_time: str, observed_s: float) -> dict[str, object]:
    event_ns = int(datetime.fromisoformat(event_time).timestamp() * 1e9)
    return {
        "timeUnixNano": str(event_ns),
        "observedTimeUnixNano": str(int(observed_s * 1e9)),
        "attributes": [
            {"key": "auth0.log.type", "value": {"stringValue": "fp"}},
            {"key": "auth0.log.outcome", "value": {"stringValue": "failure"}},
            {"key": "auth0.log.id", "value": {"stringValue": log_id}},
        ],
    }


def test_backdated_scenario_events_do_not_read_as_ingest_lag(tmp_path: Path) -> None:
    """A scenario's events dated 89 s before Auth0 logged them: the lag is the collector's 1.5 s, and the
    backdating is said as what it is."""
    logged = datetime(2026, 12, 6, 10, 0, 0, tzinfo=UTC)
    log_id = "900" + logged.strftime("%Y%m%d%H%M%S") + "0" * 39
    records = [
        _tenant_record(log_id, "2026-12-06T09:58:31+00:00", logged.timestamp() + 1.5),
        _tenant_record(log_id, "2026-12-06T10:00:00+00:00", logged.timestamp() + 1.5),
    ]
    path = tmp_path / "telemetry.jsonl"
    line = {"resourceLogs": [{"scopeLogs": [{"scope": {"name": LOGS_SCOPE}, "logRecords": records}]}]}
    path.write_text(json.dumps(line) + "\n")
    summary = summarise(path)
    assert summary.lags == [1.5, 1.5] and summary.backdated == [89.0]
    text = _printed(summary, 2, tmp_path)
    assert "median 1.50s, max 1.50s" in text
    assert "1 events were dated up to 89s before Auth0 logged them" in text


def test_all_records_reconcile_with_the_progress_bar(tmp_path: Path) -> None:
    summary = Summary(
        by_type_outcome=Counter({("s", "success"): 600, ("fp", "failure"): 10}),
        other_records=Counter({"otel_auth0.probe": 8, "otel_auth0.status": 3}),
    )
    text = _printed(summary, 610, tmp_path)
    assert (
        "621 records in all (the progress bar's count): 610 tenant log events, 8 otel_auth0.probe, "
        "3 otel_auth0.status" in text
    )


def test_a_stopped_demo_does_not_promise_a_next_run() -> None:
    line = delivery_line(609, 610)
    assert "collected by the next run" not in line and "each demo starts afresh" in line


def test_help_lists_every_scenario() -> None:
    from otel_auth0_sim.scenarios import NAMES

    done = subprocess.run(
        [sys.executable, "-m", "otel_auth0", "demo", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0
    listed = " ".join(done.stdout.split("scenarios:", 1)[1].split())
    assert all(name in listed.replace(",", " ").split() for name in NAMES)


def test_a_misspelt_scenario_is_refused_before_the_simulator_starts(tmp_path: Path) -> None:
    argv = ["demo", "--scenario", "credential_stufing", "--dir", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-m", "otel_auth0", *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "unknown scenario 'credential_stufing'; did you mean 'credential_stuffing'?" in done.stderr
    assert "starting the Auth0 tenant simulator" not in done.stdout
    assert not (tmp_path / "simulator").exists()
