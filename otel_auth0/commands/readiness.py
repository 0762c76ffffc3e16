"""``otel-auth0 readiness --config FILE [--tenant NAME] [--tags EXPR] [--report-dir DIR]``: run the
packaged Gherkin gates with pytest-bdd and write cucumber JSON, JUnit XML, Markdown and HTML reports.
With a ``tenants:`` file and no ``--tenant``, every tenant in turn, each in a process of its own with
its reports in ``DIR/<name>/``, and a closing line per tenant."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from otel_auth0.commands.common import EXIT_CONFIG_ERROR, load_or_exit, require_extra
from otel_auth0.commands.tenant_option import add_tenant_argument, chosen_tenants
from otel_auth0.readiness import FEATURES_DIR, summary
from otel_auth0.tenant_choice import ChosenTenant

EXIT_NOTHING_SELECTED = 4
# Exit codes from the worst down: the code of a run over every tenant is its worst tenant's (a code not
# listed, pytest's own, counts as worst of all).
SEVERITY = (EXIT_CONFIG_ERROR, 1, EXIT_NOTHING_SELECTED, 0)
NO_CREDENTIALS = (
    "auth0: domain, client_id and client_secret of a Management API application are needed by the "
    "readiness gates"
)
# What the readiness extra installs (otel-auth0[readiness]).
EXTRA_MODULES = ("pytest", "pytest_bdd", "aiosmtpd")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``readiness``."""
    parser = subparsers.add_parser(
        "readiness",
        help="run the production-readiness gates (Gherkin features) against a tenant",
        description="Run the packaged readiness features against the tenant of --config and write "
        "cucumber.json, junit.xml, summary.md and summary.html to --report-dir. Exit 0 when every selected "
        "scenario passed or was skipped, 1 when one failed, 2 on a configuration error.",
    )
    parser.add_argument(
        "--config", "-c", required=True, metavar="FILE", help="YAML configuration with auth0: and readiness:"
    )
    add_tenant_argument(parser, "every tenant in turn, each with its reports in --report-dir/NAME/")
    parser.add_argument(
        "--tags",
        metavar="EXPR",
        help='select scenarios by tag, e.g. "critical", "critical and not manual", "email or firewall"',
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("readiness-report"),
        metavar="DIR",
        help="(default: %(default)s)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="list every step, not only scenarios")
    parser.set_defaults(func=main)


def pytest_args(args: argparse.Namespace, report_dir: Path) -> list[str]:
    """The pytest command line for the packaged features."""
    ini = report_dir / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")  # keep a checkout's own pytest settings out of the run
    argv = [
        str(FEATURES_DIR),
        "-c",
        str(ini),
        "--rootdir",
        str(FEATURES_DIR),
        "-p",
        "otel_auth0.readiness.pytest_plugin",
        "-p",
        "no:cacheprovider",
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",  # httpx imported anyio before pytest started
        "--readiness-config",
        str(Path(args.config).resolve()),
        *(["--readiness-tenant", args.tenant] if args.tenant else []),
        "--readiness-results",
        str(report_dir / "results.json"),
        f"--cucumberjson={report_dir / 'cucumber.json'}",
        f"--junitxml={report_dir / 'junit.xml'}",
        "--gherkin-terminal-reporter",
        "-vv" if args.verbose else "-v",
        "-rfs",
        "--show-capture=no",
    ]
    if args.tags:
        argv += ["-m", args.tags]
    return argv


def _checkable(tenant: ChosenTenant) -> bool:
    auth0 = tenant.config.auth0
    return auth0 is not None and bool(auth0.client_id) and bool(auth0.client_secret)


def main(args: argparse.Namespace) -> int:
    """Entry point of ``readiness``."""
    require_extra("readiness", "readiness", *EXTRA_MODULES)
    config = load_or_exit(args.config)
    tenants = chosen_tenants(args, config)
    if config.tenants is not None and args.tenant is None:
        return _every_tenant(args, tenants)
    [tenant] = tenants
    if not _checkable(tenant):
        print(
            f"otel-auth0: configuration error in {args.config}: {tenant.label()}{NO_CREDENTIALS}",
            file=sys.stderr,
        )
        return EXIT_CONFIG_ERROR
    return _run_gates(args, tenant)


def _every_tenant(args: argparse.Namespace, tenants: list[ChosenTenant]) -> int:
    """Run the gates for each tenant in turn, each in a ``readiness --tenant NAME`` process of its own
    (one tenant's mailbox, session and failure never reach the next); a closing line per tenant and the
    worst exit code. A tenant without Management API credentials is reported and the others run."""
    closing: list[str] = []
    codes: list[int] = []
    for number, tenant in enumerate(tenants, 1):
        assert tenant.name is not None
        if not _checkable(tenant):
            print(
                f"otel-auth0: configuration error in {args.config}: {tenant.label()}{NO_CREDENTIALS}",
                file=sys.stderr,
                flush=True,
            )
            closing.append(f"readiness: {tenant.label()}not checked: {NO_CREDENTIALS}")
            codes.append(EXIT_CONFIG_ERROR)
            continue
        report_dir = args.report_dir / tenant.name
        print(
            f"readiness: tenant {tenant.name} ({number} of {len(tenants)}), reports in {report_dir}/",
            flush=True,
        )
        argv = [sys.executable, "-m", "otel_auth0", "readiness", "--config", args.config]
        argv += ["--tenant", tenant.name, "--report-dir", str(report_dir)]
        argv += [*(["--tags", args.tags] if args.tags else []), *(["--verbose"] if args.verbose else [])]
        code = subprocess.run(argv, check=False).returncode
        codes.append(code)
        closing.append(f"readiness: {tenant.label()}{_tenant_outcome(code, report_dir)}")
    for line in closing:
        print(line)
    return min(codes, key=lambda code: SEVERITY.index(code) if code in SEVERITY else -1)


def _tenant_outcome(code: int, report_dir: Path) -> str:
    """What one tenant's run ended with, from its exit code and ``results.json``."""
    if code == EXIT_NOTHING_SELECTED:
        return "no scenario matches --tags"
    results = report_dir / "results.json"
    if code not in (0, 1) or not results.is_file():
        return f"the run did not complete (exit code {code})"
    return f"{summary.headline(json.loads(results.read_text(encoding='utf-8')))}; reports in {report_dir}/"


def _run_gates(args: argparse.Namespace, tenant: ChosenTenant) -> int:
    """Run the gates in this process for ``tenant`` (``--tenant`` of a ``tenants:`` file, or the file's)."""
    import pytest

    report_dir: Path = args.report_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    code = int(pytest.main(pytest_args(args, report_dir)))
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print(f"otel-auth0 readiness: no scenario matches --tags {args.tags!r}", file=sys.stderr)
        return EXIT_NOTHING_SELECTED
    results_path = report_dir / "results.json"
    if not results_path.is_file():
        print(f"otel-auth0 readiness: the run did not complete (pytest exit code {code})", file=sys.stderr)
        return code or 1
    results = json.loads(results_path.read_text(encoding="utf-8"))
    run_path = report_dir / "run.json"
    run_facts = json.loads(run_path.read_text(encoding="utf-8")) if run_path.is_file() else {}
    assert tenant.config.auth0 is not None
    run = summary.RunInfo.from_json(run_facts, tenant.config.auth0.domain)
    (report_dir / "summary.md").write_text(summary.markdown(results, run), encoding="utf-8")
    (report_dir / "summary.html").write_text(summary.html_report(results, run), encoding="utf-8")
    print(
        f"readiness: {tenant.label()}{summary.headline(results)}; reports in {report_dir}/ (summary.md, "
        "summary.html, cucumber.json, junit.xml)"
    )
    return 0 if code == pytest.ExitCode.OK else 1
