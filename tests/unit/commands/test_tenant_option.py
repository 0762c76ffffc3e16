"""``--tenant NAME`` of ``scan``, ``readiness``, ``probe`` and ``import`` with a ``tenants:`` file: the
choice itself, exit code 2 with one line for a name that does not fit the file (with "did you mean"),
``probe`` and ``import`` asking for a tenant, ``scan`` and ``readiness`` going through every tenant with
the worst exit code, the single-tenant form unchanged; no output shows any part of a secret."""

from __future__ import annotations

import argparse
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from otel_auth0.auth0.management import Auth0Error
from otel_auth0.cli import main
from otel_auth0.collector_config import load_config, parse_config
from otel_auth0.commands import readiness as readiness_command
from otel_auth0.commands import scan as scan_command
from otel_auth0.commands.common import EXIT_CONFIG_ERROR
from otel_auth0.commands.probe import build_config, file_tenant
from otel_auth0.config import Config
from otel_auth0.readiness.scan import ScanReport, summarize
from otel_auth0.readiness.target import ReadinessTarget
from otel_auth0.receivers.login_probe import LoginProbeConfig
from otel_auth0.tenant_choice import TenantChoiceError, every_tenant, one_tenant

NAMES = ("acme", "globex", "initech")
SECRETS = {name: f"{name}-m2m-secret-Vb83qLx{index}" for index, name in enumerate(NAMES)}
PROBE_PASSWORD = "probe-password-Kd29fWq"


def entry(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "auth0": {
            "domain": f"{name}.eu.auth0.com",
            "client_id": f"{name}-id",
            "client_secret": SECRETS[name],
        },
        "receivers": {
            "logs_api": {},
            "login_probe": {
                "client_id": "probe",
                "username": "probe@example.com",
                "password": PROBE_PASSWORD,
            },
        },
    }


def fleet(tmp_path: Path, *entries: dict[str, Any]) -> Path:
    data = {
        "state_dir": str(tmp_path / "state"),
        "exporters": {"file": {"path": str(tmp_path / "telemetry.jsonl")}},
        "tenants": list(entries) or [entry(name) for name in NAMES],
    }
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def single(tmp_path: Path) -> Path:
    tenant = entry("acme")
    data = {"state_dir": str(tmp_path / "state"), "auth0": tenant["auth0"], "receivers": tenant["receivers"]}
    path = tmp_path / "single.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def assert_no_secret(text: str) -> None:
    for secret in [*SECRETS.values(), PROBE_PASSWORD]:
        assert secret not in text and secret[-8:] not in text


# The commands that act on one tenant; each argv ends where --config FILE follows.
COMMANDS = {
    "scan": ["scan", "--since", "1h"],
    "readiness": ["readiness"],
    "probe": ["probe"],
    "import": ["import", "saved-logs.json"],
}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert_no_secret(out + err)
    return code, out, err


def test_the_single_tenant_form_is_the_file_itself(tmp_path: Path) -> None:
    config = load_config(single(tmp_path))
    [chosen] = every_tenant(config, "single.yaml")
    assert chosen.name is None and chosen.config is config and chosen.label() == ""
    assert one_tenant(config, "single.yaml").config is config


def test_every_tenant_is_each_entry_as_run_serves_it(tmp_path: Path) -> None:
    config = load_config(fleet(tmp_path))
    chosen = every_tenant(config, "fleet.yaml")
    assert [tenant.name for tenant in chosen] == list(NAMES)
    assert [tenant.config.state_dir for tenant in chosen] == [
        tmp_path / "state" / "tenants" / name for name in NAMES
    ]
    assert [tenant.config.auth0.domain for tenant in chosen if tenant.config.auth0] == [
        f"{name}.eu.auth0.com" for name in NAMES
    ]
    assert all(tenant.config.tenants is None for tenant in chosen)
    [globex] = every_tenant(config, "fleet.yaml", "globex")
    assert globex.label() == "tenant globex: " and globex.config.auth0 is not None
    assert globex.config.auth0.tenant == "globex"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (None, "fleet.yaml lists 3 tenants (acme, globex, initech): choose one with --tenant NAME"),
        ("globx", "--tenant globx: fleet.yaml lists no such tenant; did you mean globex?"),
        ("zzz", "--tenant zzz: fleet.yaml lists no such tenant; did you mean one of acme, globex, initech?"),
    ],
)
def test_one_tenant_of_a_tenants_file_needs_a_name_it_lists(
    tmp_path: Path, name: str | None, message: str
) -> None:
    config = load_config(fleet(tmp_path))
    with pytest.raises(TenantChoiceError) as caught:
        one_tenant(config, "fleet.yaml", name)
    assert str(caught.value) == message


def test_a_tenants_file_of_one_tenant_still_needs_its_name_for_one_tenant(tmp_path: Path) -> None:
    config = load_config(fleet(tmp_path, entry("acme")))
    with pytest.raises(TenantChoiceError, match=r"lists 1 tenant \(acme\): choose one with --tenant NAME"):
        one_tenant(config, "fleet.yaml")
    assert one_tenant(config, "fleet.yaml", "acme").name == "acme"


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_tenant_exits_2_with_did_you_mean(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = fleet(tmp_path)
    code, _, err = run([*COMMANDS[command], "--config", str(path), "--tenant", "initek"], capsys)
    assert code == EXIT_CONFIG_ERROR
    assert err.splitlines() == [
        f"otel-auth0: --tenant initek: {path} lists no such tenant; did you mean initech?"
    ]


@pytest.mark.parametrize("command", COMMANDS)
def test_tenant_with_a_single_tenant_file_exits_2_naming_why(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = single(tmp_path)
    code, _, err = run([*COMMANDS[command], "--config", str(path), "--tenant", "acme"], capsys)
    assert code == EXIT_CONFIG_ERROR
    assert err.splitlines() == [
        f"otel-auth0: --tenant acme: {path} has no tenants: list (it configures one tenant, in auth0:); "
        "leave out --tenant"
    ]


@pytest.mark.parametrize("command", ["probe", "import"])
def test_probe_and_import_ask_which_tenant_of_a_tenants_file(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = fleet(tmp_path)
    code, _, err = run([*COMMANDS[command], "--config", str(path)], capsys)
    assert code == EXIT_CONFIG_ERROR
    assert err.splitlines() == [
        f"otel-auth0: {path} lists 3 tenants (acme, globex, initech): choose one with --tenant NAME"
    ]
    assert not (tmp_path / "state").exists()  # nothing was queued anywhere


@pytest.mark.parametrize("command", ["scan", "probe", "import"])
def test_tenant_without_a_configuration_file_exits_2(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AUTH0_DOMAIN", raising=False)
    code, _, err = run([*COMMANDS[command], "--tenant", "acme"], capsys)
    assert code == EXIT_CONFIG_ERROR
    assert err.splitlines() == ["otel-auth0: --tenant acme: needs --config FILE with a tenants: list"]


def probe_args(*argv: str) -> argparse.Namespace:
    from otel_auth0.cli import build_parser

    return build_parser().parse_args(["probe", *argv])


def test_probe_of_a_tenant_uses_its_sections_and_no_auth0_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTH0_DOMAIN", "elsewhere.us.auth0.com")
    monkeypatch.setenv("AUTH0_CLIENT_ID", "elsewhere-id")
    args = probe_args("--config", str(fleet(tmp_path)), "--tenant", "globex")
    tenant = file_tenant(args)
    assert tenant is not None and tenant.name == "globex"
    config, export = build_config(args, tenant)
    assert config.auth0 is not None and config.auth0.domain == "globex.eu.auth0.com"
    assert config.auth0.client_id == "globex-id" and config.auth0.tenant == "globex"
    assert config.state_dir == tmp_path / "state" / "tenants" / "globex"
    probe = config.receivers.section(LoginProbeConfig)
    assert probe is not None and probe.username == "probe@example.com"
    assert not export


def test_probe_of_a_tenant_without_a_login_probe_names_the_tenant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quiet = entry("globex")
    del quiet["receivers"]["login_probe"]
    path = fleet(tmp_path, entry("acme"), quiet)
    code, _, err = run(["probe", "--config", str(path), "--tenant", "globex"], capsys)
    assert code == EXIT_CONFIG_ERROR
    assert err.startswith("otel-auth0: configuration error: tenant globex: receivers.login_probe")


def test_the_readiness_target_of_a_tenant_is_its_view(tmp_path: Path) -> None:
    path = fleet(tmp_path)
    target = ReadinessTarget.load(path, "initech", "--readiness-tenant")
    assert target.auth0.domain == "initech.eu.auth0.com" and target.base_dir == tmp_path
    with pytest.raises(TenantChoiceError, match="choose one with --readiness-tenant NAME"):
        ReadinessTarget.load(path, None, "--readiness-tenant")


def scan_report(kind: str) -> ScanReport:
    """A report that is clean, over the rate-limit threshold (0 by default) or cut short."""
    now = datetime.now(UTC)
    events = [{"log_id": "1", "type": "api_limit", "date": now.isoformat()}] if kind == "threshold" else []
    report = summarize(events, now - timedelta(hours=1), now)
    if kind == "incomplete":
        report.stopped = "rate limited"
    return report


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        (("ok", "ok", "ok"), 0),
        (("ok", "threshold", "ok"), 1),
        (("threshold", "incomplete", "ok"), 3),
        (("incomplete", "ok", "unreadable"), 2),
    ],
)
def test_scan_of_every_tenant_reports_each_by_name_and_exits_with_the_worst(
    outcomes: tuple[str, ...],
    expected: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    by_domain = {f"{name}.eu.auth0.com": outcome for name, outcome in zip(NAMES, outcomes, strict=True)}
    scanned: list[str] = []

    def fake_report(args: argparse.Namespace, config: Config | None, since: datetime) -> ScanReport:
        assert config is not None and config.auth0 is not None
        scanned.append(config.auth0.domain)
        outcome = by_domain[config.auth0.domain]
        if outcome == "unreadable":
            raise Auth0Error("token request answered 401", status=401, retryable=False)
        return scan_report(outcome)

    monkeypatch.setattr(scan_command, "_report", fake_report)
    path = fleet(tmp_path)
    code, out, err = run(["scan", "--config", str(path), "--json"], capsys)
    assert code == expected
    assert scanned == list(by_domain)  # every tenant, in file order, past any failure
    reports = json.loads(out)["tenants"]
    assert [report["tenant"] for report in reports] == list(NAMES)
    for report, outcome in zip(reports, outcomes, strict=True):
        assert ("error" in report) == (outcome == "unreadable")
    if "unreadable" in outcomes:
        assert (
            "otel-auth0 scan: tenant initech: cannot read the tenant's logs: token request answered 401"
            in err
        )

    code, out, err = run(["scan", "--config", str(path)], capsys)
    assert code == expected
    for name, outcome in zip(NAMES, outcomes, strict=True):
        assert f"tenant {name} ({name}.eu.auth0.com)" in out or outcome == "unreadable"
        assert any(line.startswith(f"│ {name} ") for line in out.splitlines())  # the closing table


def test_scan_of_saved_files_with_a_tenants_file_reads_the_files_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "saved.json"
    now = datetime.now(UTC).isoformat()
    saved.write_text(json.dumps([{"log_id": "a", "type": "s", "date": now}]), encoding="utf-8")
    code, out, err = run(["scan", "--config", str(fleet(tmp_path)), str(saved), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["events"] == 1


def test_scan_of_one_named_tenant_keeps_the_single_report_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[str] = []

    def fake_report(args: argparse.Namespace, config: Config | None, since: datetime) -> ScanReport:
        assert config is not None and config.auth0 is not None
        seen.append(config.auth0.domain)
        return scan_report("ok")

    monkeypatch.setattr(scan_command, "_report", fake_report)
    code, out, _err = run(["scan", "--config", str(fleet(tmp_path)), "--tenant", "globex", "--json"], capsys)
    assert code == 0 and seen == ["globex.eu.auth0.com"]
    body = json.loads(out)
    assert body["tenant"] == "globex" and body["events"] == 0 and "tenants" not in body


def test_scan_of_a_single_tenant_file_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(scan_command, "_report", lambda args, config, since: scan_report("ok"))
    code, out, _ = run(["scan", "--config", str(single(tmp_path)), "--json"], capsys)
    assert code == 0
    assert "tenant" not in json.loads(out)
    code, out, _err = run(["scan", "--config", str(single(tmp_path))], capsys)
    assert code == 0 and "tenant" not in out


def test_readiness_of_every_tenant_runs_each_in_its_own_process_and_reports_the_unchecked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    no_credentials = {  # a Log Stream alone needs no Management API application
        "name": "globex",
        "auth0": {"domain": "globex.eu.auth0.com"},
        "receivers": {"log_stream": {"listen": "127.0.0.1:8383", "token": "stream-token"}},
    }
    path = fleet(tmp_path, entry("acme"), no_credentials, entry("initech"))
    reports = tmp_path / "reports"
    started: list[list[str]] = []

    def fake_run(argv: list[str], check: bool) -> subprocess.CompletedProcess[str]:
        started.append(argv)
        tenant = argv[argv.index("--tenant") + 1]
        report_dir = Path(argv[argv.index("--report-dir") + 1])
        report_dir.mkdir(parents=True)
        outcome = "failed" if tenant == "initech" else "passed"
        results = [{"feature": "f", "scenario": "s", "title": "t", "tags": [], "outcome": outcome}]
        (report_dir / "results.json").write_text(json.dumps(results))
        return subprocess.CompletedProcess(argv, 1 if outcome == "failed" else 0)

    monkeypatch.setattr(readiness_command.subprocess, "run", fake_run)
    argv = ["readiness", "--config", str(path), "--report-dir", str(reports), "--tags", "critical"]
    code, out, err = run(argv, capsys)
    assert code == EXIT_CONFIG_ERROR  # globex could not be checked: the worst of 0, 2 and 1
    assert [run_argv[run_argv.index("--tenant") + 1] for run_argv in started] == ["acme", "initech"]
    assert all(run_argv[-2:] == ["--tags", "critical"] for run_argv in started)
    assert started[0][started[0].index("--report-dir") + 1] == str(reports / "acme")
    closing = out.splitlines()[-3:]
    assert closing[0].startswith("readiness: tenant acme: 1 passed, 0 failed")
    assert closing[1].startswith("readiness: tenant globex: not checked: auth0: domain, client_id and")
    assert closing[2].startswith("readiness: tenant initech: 0 passed, 1 failed")
    assert f"otel-auth0: configuration error in {path}: tenant globex: auth0: " in err


def test_config_loading_errors_of_a_tenants_file_show_no_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = fleet(tmp_path)
    text = path.read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    # A secret that breaks the YAML, and a tenant with an unknown key beside its secret.
    broken.write_text(text.replace(SECRETS["globex"], f'"{SECRETS["globex"]}'), encoding="utf-8")
    typo = tmp_path / "typo.yaml"
    data = yaml.safe_load(text)
    data["tenants"][2]["auth0"]["client_secrett"] = SECRETS["initech"]
    typo.write_text(yaml.safe_dump(data), encoding="utf-8")
    for bad in (broken, typo):
        for command in COMMANDS:
            code, _out, err = run([*COMMANDS[command], "--config", str(bad), "--tenant", "acme"], capsys)
            assert code == EXIT_CONFIG_ERROR and err.startswith(f"otel-auth0: configuration error in {bad}")
    assert parse_config(yaml.safe_load(text)).tenants is not None
