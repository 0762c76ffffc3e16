"""Auth0's Deploy CLI (``auth0-deploy-cli`` from npm, built on Auth0's Node SDK) as the judge of the
simulated tenant: ``a0deploy export`` reads every resource type of the ``good``, ``misconfigured``,
``large`` and ``essentials`` tenants to the end, with no failed read beyond the 404s (and, on
``essentials``, the plan's 403s) a real tenant of that configuration answers (each allowed below with
the reason from Auth0's documentation), and writes a complete tenant directory; ``a0deploy import --dry-run`` of the ``good`` export proposes no change.

The CLI talks to ``https://<AUTH0_DOMAIN>`` only; the simulator serves TLS with its own CA, which
node trusts through ``NODE_EXTRA_CA_CERTS``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.support.npm_cache import installed_bin

pytestmark = pytest.mark.integration
DEPLOY_CLI_VERSION = "8.44.0"
CLI_TIMEOUT = 600.0
CUSTOMISED_TEMPLATES = {
    "good": ("verify_email", "reset_email", "welcome_email"),
    "misconfigured": ("reset_email",),
}
# Reads a real tenant answers 404, per profile, with Auth0's reason:
# - an email template the tenant never customised: "Get an email template" answers 404 until the
#   template is configured (Auth0 Management API reference, email-templates);
# - the default Universal Login theme of a tenant that has none: "Get default branding theme"
#   answers 404 (Auth0 reference, branding/themes; the Deploy CLI's themes handler expects it);
# - the SCIM configuration of an enterprise connection without SCIM: "Get a connection's SCIM
#   configuration" answers 404 when SCIM is not enabled (Auth0 reference, connections/scim-configuration);
# - misconfigured only: the email provider of a tenant on Auth0's built-in provider ("Get email
#   provider" answers 404 when none is configured) and the Universal Login page template of a tenant
#   without one ("Get template for New Universal Login Experience" answers 404).
ALWAYS_404 = (
    re.compile(r"/api/v2/email-templates/[a-z_]+"),
    re.compile(r"/api/v2/branding/themes/default"),
    re.compile(r"/api/v2/connections/[^/]+/scim-configuration"),
)
MISCONFIGURED_404 = (
    re.compile(r"/api/v2/emails/provider"),
    re.compile(r"/api/v2/branding/templates/universal-login"),
)
# essentials only, 403 for features its plan lacks, which the Deploy CLI skips by itself: Bot
# Detection (an Attack Protection feature of higher plans) and Tenant Access Control Lists (Enterprise).
ESSENTIALS_403 = (
    re.compile(r"/api/v2/attack-protection/bot-detection"),
    re.compile(r"/api/v2/network-acls"),
)
# Auth0's Events (Event Streams) need an Enterprise plan (Early Access; "Create an event stream" in
# Auth0's docs): an Essentials tenant answers 403 there, and the Deploy CLI's event streams handler does
# not skip a 403, so an export of such a tenant must exclude the type, as a user of that plan does.
ESSENTIALS_EXCLUDED = ["eventStreams"]
# What a complete export of these tenants holds (the Deploy CLI's directory layout).
EXPORTED = (
    "tenant.json",
    "clients",
    "connections",
    "database-connections",
    "resource-servers",
    "grants",
    "roles",
    "organizations",
    "rules",
    "actions",
    "action-modules",
    "triggers",
    "forms",
    "flows",
    "flow-vault-connections",
    "guardian",
    "prompts",
    "pages",
    "phone-providers",
    "phone-templates",
    "self-service-profiles",
    "user-attribute-profiles",
    "connection-profiles",
    "token-exchange-profiles",
    "rate-limit-policies",
    "supplemental-signals.json",
    "attack-protection",
    "log-streams",
    "custom-domains",
    "network-acls",
)
# Fields a dry run against any real tenant reports as changed, so ignored: the export writes
# ``##PLACEHOLDER##`` for secrets Auth0 never returns (social connection secrets, SMTP user and
# password, a phone provider's Twilio token, an Event Streams webhook's bearer token), and writes a
# database connection's ``enabled_clients`` (read from ``GET /connections/{id}/clients``) which the
# dry run compares with the connection object, where Auth0 no longer answers that deprecated field.
DRY_RUN_IGNORED = {
    "databases": ["enabled_clients"],
    "connections": ["options.client_secret"],
    "emailProvider": ["credentials.smtp_user"],
    "phoneProviders": ["credentials"],
    "eventStreams": ["webhook_authorization.token"],
}
# The Deploy CLI pairs a local network ACL with the first remote one sharing any of its identifiers
# (id, priority, active, rule); with two active ACLs the second is compared with the first and
# reported as an update on every tenant that has two active ACLs, so that one row is expected.
EXPECTED_DRY_RUN_ROWS = {("NetworkACLs", "UPDATE", "Management API from the admin network only")}


@pytest.fixture(scope="module")
def a0deploy() -> Path:
    return installed_bin("auth0-deploy-cli", DEPLOY_CLI_VERSION, "a0deploy")


def _config(tmp_path: Path, sim: SimulatorHandle, **extra: Any) -> Path:
    path = tmp_path / "a0deploy.json"
    config = {
        "AUTH0_DOMAIN": sim.info["domain"],
        "AUTH0_CLIENT_ID": sim.info["client_id"],
        "AUTH0_CLIENT_SECRET": sim.info["client_secret"],
        **extra,
    }
    path.write_text(json.dumps(config))
    return path


def _run(a0deploy: Path, sim: SimulatorHandle, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(sim.info["ca_file"]), "NO_COLOR": "1"}
    return subprocess.run(
        [str(a0deploy), *args], capture_output=True, text=True, env=env, timeout=CLI_TIMEOUT, check=False
    )


def _failed_reads(sim: SimulatorHandle) -> dict[str, dict[str, int]]:
    stats = httpx.get(f"{sim.base_url}/_sim/stats", verify=sim.verify, timeout=30).json()
    return {
        path: {code: count for code, count in codes.items() if not code.startswith("2")}
        for path, codes in stats["requests"].items()
        if any(not code.startswith("2") for code in codes)
    }


def _unexpected(profile: str, failed: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    allowed = ALWAYS_404 + (MISCONFIGURED_404 if profile == "misconfigured" else ())
    forbidden = ESSENTIALS_403 if profile == "essentials" else ()
    customised = CUSTOMISED_TEMPLATES.get(profile, CUSTOMISED_TEMPLATES["good"])
    unexpected = {}
    for path, codes in failed.items():
        template = path.rsplit("/", 1)[-1] if path.startswith("/api/v2/email-templates/") else None
        excused = (
            set(codes) == {"404"} and any(p.fullmatch(path) for p in allowed) and template not in customised
        ) or (set(codes) == {"403"} and any(p.fullmatch(path) for p in forbidden))
        if not excused:
            unexpected[path] = codes
    return unexpected


def _start(tmp_path: Path, profile: str) -> Any:
    return running_simulator(
        "--profile",
        profile,
        "--events-per-second",
        "0",
        "--mgmt-rate-limit",
        "1000",
        "--state-dir",
        str(tmp_path / "sim"),
        "--seed",
        "22",
        timeout=120,
    )


def _export(a0deploy: Path, tmp_path: Path, sim: SimulatorHandle, profile: str) -> Path:
    """``a0deploy export`` of the running tenant, checked for completeness; returns the directory."""
    out = tmp_path / "export"
    extra = {"AUTH0_EXCLUDED": ESSENTIALS_EXCLUDED} if profile == "essentials" else {}
    config = _config(tmp_path, sim, **extra)
    done = _run(a0deploy, sim, "export", "-c", str(config), "-f", "directory", "-o", str(out))
    assert done.returncode == 0, f"a0deploy export failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
    assert "Problem running command" not in done.stdout + done.stderr
    unexpected = _unexpected(profile, _failed_reads(sim))
    assert not unexpected, f"reads a real {profile} tenant answers: {unexpected}"
    # misconfigured has no ACL; essentials' plan has none (403 above)
    empty = {"network-acls"} if profile in ("misconfigured", "essentials") else set()
    missing = [name for name in EXPORTED if name not in empty and not (out / name).exists()]
    assert not missing, f"the export lacks {missing}"
    clients = {json.loads(p.read_text())["name"] for p in (out / "clients").glob("*.json")}
    assert len(clients) == (150 if profile == "large" else 3), sorted(clients)[:5]
    rules = list((out / "rules").glob("*.js"))
    assert rules and all(r.read_text().startswith("function") for r in rules)  # rules come with scripts
    return out


@pytest.mark.parametrize("profile", ["misconfigured", "large", "essentials"])
def test_a0deploy_exports_the_whole_tenant_with_no_failed_read(
    a0deploy: Path, tmp_path: Path, profile: str
) -> None:
    with _start(tmp_path, profile) as sim:
        _export(a0deploy, tmp_path, sim, profile)


def test_a0deploy_exports_good_and_its_dry_run_import_proposes_no_change(
    a0deploy: Path, tmp_path: Path
) -> None:
    with _start(tmp_path, "good") as sim:
        out = _export(a0deploy, tmp_path, sim, "good")
        config = _config(tmp_path, sim, AUTH0_IGNORE_DRY_RUN_FIELDS=DRY_RUN_IGNORED)
        done = _run(a0deploy, sim, "import", "-c", str(config), "-i", str(out), "--dry-run")
        failed = _failed_reads(sim)
    output = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", done.stdout + done.stderr)
    assert done.returncode == 0 and "Dry Run completed successfully" in output, output[-4000:]
    rows = {
        tuple(cell.strip() for cell in line.strip().strip("│").split("│"))
        for line in output.splitlines()
        if line.count("│") == 4 and "Resource" not in line
    }
    assert rows == EXPECTED_DRY_RUN_ROWS, f"proposed changes: {rows}\n{output[-3000:]}"
    assert not _unexpected("good", failed), failed
