"""pytest plugin behind ``pytest features/`` and ``otel-auth0 readiness``: the ``--readiness-config``
and ``--readiness-tenant`` options, the session-wide target, tag markers, and one-line reports for
expected failures."""

from __future__ import annotations

import json
import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from otel_auth0.config import ConfigError
from otel_auth0.masking import mask_secrets, mask_tree
from otel_auth0.readiness.steps.assertions import PASSED_EVIDENCE, ReadinessFailure
from otel_auth0.readiness.summary import scenario_title
from otel_auth0.readiness.target import ReadinessTarget, TargetError
from otel_auth0.tenant_choice import TenantChoiceError

EXPECTED = (ReadinessFailure, TargetError)  # reported as their one-line message, without traceback

pytest_plugins = [
    "otel_auth0.readiness.steps.common",
    "otel_auth0.readiness.steps.monitoring",
    "otel_auth0.readiness.steps.tenant",
    "otel_auth0.readiness.steps.email",
    "otel_auth0.readiness.steps.firewall",
]

ENV_CONFIG = "OTEL_AUTH0_READINESS_CONFIG"
ENV_TENANT = "OTEL_AUTH0_READINESS_TENANT"
MARKERS = {
    "critical": "must pass before go-live",
    "recommended": "should pass; Auth0's non-critical fixes",
    "manual": "no API: read from the attestations file",
    "monitoring": "monitoring.feature",
    "service_status": "service_status.feature",
    "notifications": "notifications.feature",
    "logging": "logging.feature",
    "rate_limits": "rate_limits.feature",
    "email": "email.feature",
    "firewall": "firewall.feature",
    "production_checks": "production_checks.feature",
}


SCENARIO = pytest.StashKey[tuple[str, str]]()
RESULTS = pytest.StashKey[list[dict[str, Any]]]()
EVIDENCE = pytest.StashKey[dict[str, str]]()  # item name -> evidence of a passed scenario
RUN = pytest.StashKey[dict[str, Any]]()  # run.json: start time, selection; tenant and finish at the end
TARGET = pytest.StashKey[ReadinessTarget]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--readiness-config FILE``, ``--readiness-tenant NAME`` and ``--readiness-results FILE``."""
    group = parser.getgroup("readiness", "otel-auth0 production-readiness gates")
    group.addoption(
        "--readiness-config",
        metavar="FILE",
        default=None,
        help=f"otel-auth0 YAML configuration of the tenant to check (or set {ENV_CONFIG})",
    )
    group.addoption(
        "--readiness-tenant",
        metavar="NAME",
        default=None,
        help=f"the tenant of a --readiness-config file with a tenants: list ({ENV_TENANT} goes with "
        f"{ENV_CONFIG})",
    )
    group.addoption(
        "--readiness-results",
        metavar="FILE",
        default=None,
        help="write every scenario's outcome, tags and one-line message as JSON (for the summaries)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the tag markers."""
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    config.stash[RESULTS] = []
    config.stash[EVIDENCE] = {}
    config.stash[RUN] = {"started": time.time(), "tags": config.getoption("markexpr", "") or None}


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Each scenario collects its own evidence."""
    PASSED_EVIDENCE.clear()


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    """Remember the rendered feature and scenario names for the results file."""
    request.node.stash[SCENARIO] = (str(feature.name), str(scenario.name))


@pytest.fixture(scope="session")
def readiness_target(request: pytest.FixtureRequest) -> Iterator[ReadinessTarget]:
    """The tenant under test, shared by every scenario of the run."""
    option = request.config.getoption("--readiness-config")
    path = option or os.environ.get(ENV_CONFIG)
    if not path:
        pytest.skip(f"no readiness target: pass --readiness-config FILE or set {ENV_CONFIG}")
    # The tenant comes as the file does: the option with the option, the variable with the variable.
    tenant = request.config.getoption("--readiness-tenant") or (
        None if option else os.environ.get(ENV_TENANT)
    )
    try:
        target = ReadinessTarget.load(path, tenant, "--readiness-tenant")
        target.auth0  # noqa: B018 - fails early without a usable auth0 section
    except (ConfigError, TargetError, TenantChoiceError) as error:
        raise ReadinessFailure(f"configuration error in {path}: {error}") from None
    request.config.stash[TARGET] = target
    yield target
    target.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """An expected failure (:class:`ReadinessFailure`) is reported as its one line, without traceback;
    each scenario's outcome is recorded for ``--readiness-results``."""
    report = yield
    if call.excinfo is not None and isinstance(call.excinfo.value, EXPECTED) and report.failed:
        report.longrepr = mask_secrets(str(call.excinfo.value))
    elif isinstance(report.longrepr, tuple):  # a skip: (path, line, reason)
        path, line, reason = report.longrepr
        report.longrepr = (path, line, mask_secrets(reason))
    elif call.excinfo is not None and report.failed:
        # An unexpected error: a short traceback without locals (whose reprs are cut, so a cut secret
        # could not be recognised), masked: the console and JUnit show no part of a secret.
        report.longrepr = mask_secrets(str(call.excinfo.getrepr(style="short", showlocals=False)))
    if report.when == "call" and report.passed and PASSED_EVIDENCE:
        evidence = mask_secrets(" / ".join(PASSED_EVIDENCE))
        item.config.stash[EVIDENCE][item.name] = evidence
        item.user_properties.append(("evidence", evidence))  # JUnit <property name="evidence">
    if report.when == "call" or (report.when == "setup" and not report.passed):
        item.config.stash[RESULTS].append(_result(item, report))
    return report


def _result(item: pytest.Item, report: pytest.TestReport) -> dict[str, Any]:
    feature, scenario = item.stash.get(
        SCENARIO, (item.module.__name__ if isinstance(item, pytest.Function) else "", item.name)
    )
    message = item.config.stash[EVIDENCE].get(item.name, "") if report.passed else ""
    if report.skipped and isinstance(report.longrepr, tuple):
        message = str(report.longrepr[2]).removeprefix("Skipped: ")
    elif report.failed:
        message = str(report.longrepr).strip().splitlines()[-1] if report.longrepr else "failed"
    return {
        "nodeid": item.nodeid,
        "feature": feature,
        "scenario": scenario,
        "title": scenario_title(scenario),
        "tags": [m.name for m in item.iter_markers() if m.name in MARKERS],
        "outcome": report.outcome,
        "message": mask_secrets(message),
    }


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write ``--readiness-results`` and ``run.json`` beside it (tenant, start and end); add each passed
    scenario's evidence to the cucumber JSON report (as the ``output`` of its last step), once pytest-bdd
    has written it; mask secrets in the cucumber JSON and JUnit XML files."""
    path = session.config.getoption("--readiness-results")
    if path:
        started = session.config.stash[RUN]
        run = {**started, "finished": time.time()}
        target = session.config.stash.get(TARGET, None)
        if target is not None and target.config.auth0 is not None:
            run["domain"] = target.config.auth0.domain
            run["tenant"] = tenant_name(target)
        Path(path).with_name("run.json").write_text(json.dumps(mask_tree(run), indent=2), encoding="utf-8")
        Path(path).write_text(json.dumps(session.config.stash[RESULTS], indent=2), encoding="utf-8")
    cucumber = getattr(session.config.option, "cucumber_json_path", None)
    if cucumber and Path(cucumber).is_file():
        add_cucumber_evidence(Path(cucumber), session.config.stash[EVIDENCE])
    junit = getattr(session.config.option, "xmlpath", None)
    if junit and Path(junit).is_file():
        mask_junit(Path(junit))


def tenant_name(target: ReadinessTarget) -> str | None:
    """The tenant's name: ``auth0.tenant_name`` of the configuration, else the friendly name in its
    settings when the run read them."""
    auth0 = target.config.auth0
    if auth0 is not None and auth0.tenant_name:
        return auth0.tenant_name
    snapshot = target.cached_snapshot
    name = snapshot.settings.get("friendly_name") if snapshot is not None else None
    return str(name) if name else None


def mask_junit(path: Path) -> None:
    """Mask every secret-shaped value in the JUnit XML at ``path`` (messages, properties, output)."""
    tree = ET.parse(path)
    for element in tree.iter():
        element.text = mask_secrets(element.text) if element.text else element.text
        element.tail = mask_secrets(element.tail) if element.tail else element.tail
        for key, value in element.attrib.items():
            element.attrib[key] = mask_secrets(value)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def add_cucumber_evidence(path: Path, evidence: dict[str, str]) -> None:
    """Attach ``evidence`` (by test name) to the passed scenarios of the cucumber JSON at ``path``;
    mask every secret-shaped value in it (error messages, step names, output)."""
    features = json.loads(path.read_text(encoding="utf-8"))
    for feature in features:
        for element in feature.get("elements", []):
            text = evidence.get(element.get("id", ""))
            if text and element.get("steps"):
                element["steps"][-1]["output"] = [text]
    path.write_text(json.dumps(mask_tree(features)), encoding="utf-8")
