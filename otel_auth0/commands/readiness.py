"""``otel-auth0 readiness --config FILE [--tags EXPR] [--report-dir DIR]``: run the packaged Gherkin
gates with pytest-bdd and write cucumber JSON, JUnit XML, Markdown and HTML reports."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from otel_auth0.commands.common import EXIT_CONFIG_ERROR, load_or_exit, require_extra
from otel_auth0.readiness import FEATURES_DIR, summary

EXIT_NOTHING_SELECTED = 4
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


def main(args: argparse.Namespace) -> int:
    """Entry point of ``readiness``."""
    require_extra("readiness", "readiness", *EXTRA_MODULES)
    config = load_or_exit(args.config)
    if config.auth0 is None or not config.auth0.client_id or not config.auth0.client_secret:
        print(
            f"otel-auth0: configuration error in {args.config}: auth0: domain, client_id and client_secret "
            "of a Management API application are needed by the readiness gates",
            file=sys.stderr,
        )
        return EXIT_CONFIG_ERROR
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
    run = summary.RunInfo.from_json(run_facts, config.auth0.domain)
    (report_dir / "summary.md").write_text(summary.markdown(results, run), encoding="utf-8")
    (report_dir / "summary.html").write_text(summary.html_report(results, run), encoding="utf-8")
    print(
        f"readiness: {summary.headline(results)}; reports in {report_dir}/ (summary.md, summary.html, "
        "cucumber.json, junit.xml)"
    )
    return 0 if code == pytest.ExitCode.OK else 1
