"""The readiness suite against the simulator, as QA runs it: ``otel-auth0 readiness`` on the ``good``
profile (every @critical scenario passes, reports written), then ``pytest features/`` on the
``misconfigured`` profile (the expected scenarios fail with the expected one-line messages), and
``otel-auth0 scan``. Email scenarios exchange real SMTP with the suite's own aiosmtpd mailbox."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from otel_auth0.auth0.ip_ranges import load_snapshot
from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.otlp_receiver import OtlpReceiver
from tests.support.sim_config import auth0_section, login_probe_section, notices_urls

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def write_config(path: Path, sim: SimulatorHandle, otlp: str, *, broken: bool) -> Path:
    """A readiness configuration for the simulated tenant; ``broken`` adds what QA would get wrong."""
    info = sim.info
    user = info["test_users"][0]
    us_ranges = load_snapshot()["US"]
    allowlist = us_ranges[3:] if broken else [*us_ranges, "198.51.100.7/32"]
    (path.parent / "allowlist.txt").write_text("\n".join(allowlist) + "\n")
    today = date.today() - timedelta(days=400 if broken else 1)
    attest = {"attested_by": "qa@example.com", "date": today.isoformat(), "count": 3}
    items = ["dashboard_admins", "security_contact", "status_subscription", "environment_tag_production"]
    items += ["tenant_admin_mfa", "custom_domain_in_emails"]
    (path.parent / "attestations.yaml").write_text(
        yaml.safe_dump({"attestations": dict.fromkeys(items, attest)})
    )
    port = int(info["domain"].rsplit(":", 1)[1])
    google = f"{sim.base_url}/.well-known/openid-configuration"  # loopback stand-in for Google
    targets = [
        {"name": "tenant-https", "host": "127.0.0.1", "port": port, "tls": "tls", "ca_file": info["ca_file"]}
    ]
    if broken:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            targets.append({"name": "custom-db-api", "host": "127.0.0.1", "port": sock.getsockname()[1]})
            google = f"http://127.0.0.1:{sock.getsockname()[1]}/.well-known/openid-configuration"
    config = {
        "auth0": auth0_section(sim),
        "state_dir": str(path.parent / "state"),
        "receivers": {
            "login_probe": login_probe_section(sim),
            "status": {"url": f"{sim.base_url}/feeds/status.rss"},
            "notices": {**notices_urls(sim, advisories=True), "sdks": ["auth0/nextjs-auth0"]},
        },
        "exporters": {"otlp": {"endpoint": otlp, "protocol": "http/protobuf"}},
        "readiness": {
            "region": "US",
            "allowlist_file": "allowlist.txt",
            "attestations_file": "attestations.yaml",
            "inbound_targets": targets,
            "smtp": {
                "local": True,
                "username": "qa",
                "password": "qa-secret",
                "test_recipient": user["username"],
                "test_user_id": user["user_id"],
            },
            "thresholds": {"probe_p95_s": 5, "log_lag_s": 300, "rate_limit_window_h": 24},
            "provider_endpoints": {"google-oauth2": google},
        },
    }
    path.write_text(yaml.safe_dump(config))
    return path


def scenarios(cucumber: Path) -> dict[str, dict[str, Any]]:
    """``{scenario name: {"status", "tags", "message"}}`` from a cucumber JSON report."""
    out = {}
    for feature in json.loads(cucumber.read_text()):
        for element in feature["elements"]:
            results = [step["result"] for step in element["steps"]]
            failed = [r for r in results if r["status"] == "failed"]
            out[element["name"]] = {
                "status": "failed"
                if failed
                else "skipped"
                if any(r["status"] == "skipped" for r in results)
                else "passed",
                "tags": {t["name"] for t in element["tags"]} | {t["name"] for t in feature["tags"]},
                "message": failed[0].get("error_message", "") if failed else "",
            }
    return out


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=180)


def test_good_passes_critical_gates_and_misconfigured_fails_with_fixes(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    with running_simulator(
        "--profile", "good", "--events-per-second", "0", "--state-dir", str(tmp_path / "sim")
    ) as sim:
        (tmp_path / "good").mkdir()
        good = write_config(tmp_path / "good" / "config.yaml", sim, otlp_receiver.http_endpoint, broken=False)
        reports = tmp_path / "good" / "report"
        done = run(
            [
                sys.executable,
                "-m",
                "otel_auth0",
                "readiness",
                "--config",
                str(good),
                "--report-dir",
                str(reports),
            ],
            tmp_path,
        )
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        found = scenarios(reports / "cucumber.json")
        critical = {name: s for name, s in found.items() if "critical" in s["tags"]}
        assert len(critical) >= 20
        assert {name: s["message"] for name, s in critical.items() if s["status"] != "passed"} == {}
        assert found["A verification email is delivered with the tenant's template"]["status"] == "passed"
        junit = ET.parse(reports / "junit.xml").getroot()
        suite = junit if junit.tag == "testsuite" else junit[0]
        assert suite.get("failures") == "0" and suite.get("errors") == "0"
        summary_md = (reports / "summary.md").read_text()
        assert "0 failed (0 critical)" in summary_md
        evidence = "3 applications checked, none with localhost URLs"
        assert evidence in summary_md and evidence in (reports / "summary.html").read_text()
        assert evidence in json.dumps(json.loads((reports / "cucumber.json").read_text()))
        properties = {p.get("value") for p in junit.iter("property") if p.get("name") == "evidence"}
        assert any(evidence in (value or "") for value in properties)
        checks = [
            name for name in found if name.startswith(("Critical production", "Recommended production"))
        ]
        assert len(checks) >= 61  # auth0-checkmate's validators
        assert {name: s["message"] for name, s in found.items() if s["status"] == "failed"} == {}
        assert "<table>" in (reports / "summary.html").read_text()
        assert any(s.span.name == "auth0.readiness.telemetry_check" for s in otlp_receiver.spans())

        with httpx.Client(verify=sim.verify) as client:
            client.post(f"{sim.base_url}/_sim/profile", json={"profile": "misconfigured"}).raise_for_status()
            limit = {
                "type": "api_limit",
                "description": "Global limit has been reached",
                "client_name": "batch-job",
            }
            client.post(f"{sim.base_url}/_sim/events", json={"events": [limit]}).raise_for_status()
        (tmp_path / "bad").mkdir()
        bad = write_config(tmp_path / "bad" / "config.yaml", sim, otlp_receiver.http_endpoint, broken=True)
        cucumber, junit_path = tmp_path / "bad" / "cucumber.json", tmp_path / "bad" / "junit.xml"
        done = run(
            [
                sys.executable,
                "-m",
                "pytest",
                "features/",
                "-p",
                "no:cacheprovider",
                "--readiness-config",
                str(bad),
                f"--cucumberjson={cucumber}",
                f"--junitxml={junit_path}",
            ],
            REPO,
        )
        assert done.returncode == 1, done.stdout[-4000:]
        assert "Traceback" not in done.stdout
        found = scenarios(cucumber)
        expected = {
            "A custom email provider is configured": "built-in test provider is used. Fix: configure",
            "A verification email is delivered with the tenant's template": "Auth0's default template",
            "Tenant logs are exported": "no active log stream and no poller checkpoint. Fix:",
            "No rate-limit events within the window": "1 rate-limit events (api_limit x1; clients: batch",
            "Every inbound target accepts connections": "Inbound target custom-db-api is reachable: refused",
            "The allowlist covers Auth0's outbound IPs": "3 Auth0 IPs missing",
            "Critical production check legacy_ro_grants_off": "legacy ro grants enabled (tenant flag True",
            "Critical production check no_localhost_urls": "http://localhost:3000/callback",
            "Critical production check rules_migrated": "enabled rules: old-rule. Fix: migrate",
            "Recommended production check log_streaming": "otel-auth0=suspended. Fix: create a log stream",
            "External identity providers are reachable": "unreachable: google-oauth2 (ConnectError",
            "Critical production check log_streams_healthy": "not delivering: otel-auth0=suspended. Fix:",
            "Critical production check mfa_policy": "factors enabled but policy is never",
            "Critical production check db_custom_scripts_secrets": "hard-coded secrets in Username-Pass",
            "Critical production check mgmt_api_backend_only": "granted to user-facing applications: Exam",
            "Recommended production check canonical_domain_blocked": "the canonical domain still accepts",
            "Recommended production check actions_password_reset_mfa": "has no action challenging MFA",
            "Recommended production check bot_detection": "challenge_password_policy=never",
            "Manual notification duty dashboard_admins is attested": "stale: attested 400 days ago",
        }
        for name, text in expected.items():
            assert found[name]["status"] == "failed", name
            assert text in found[name]["message"], (name, found[name]["message"])
        expected_smtp = "the tenant has no email provider (Auth0's built-in test provider is used)"
        assert expected_smtp in found["SMTP EHLO, STARTTLS and AUTH succeed"]["message"]
        for name in ("The synthetic login succeeds within the threshold",):
            assert found[name]["status"] == "passed", (name, found[name]["message"])
        messages = [s["message"] for s in found.values() if s["status"] == "failed"]
        assert all("\n" not in m and "Fix:" in m for m in messages), messages
        failures = ET.parse(junit_path).getroot().iter("failure")
        assert all("Traceback" not in (f.text or "") for f in failures)

        done = run([sys.executable, "-m", "otel_auth0", "scan", "--config", str(bad), "--json"], tmp_path)
        assert done.returncode == 1, done.stderr
        scan = json.loads(done.stdout)
        assert scan["rate_limit"]["type"] == {"api_limit": 1} and scan["thresholds_exceeded"]


def test_scan_of_saved_files_and_bad_input(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    events = [
        {
            "type": "fp",
            "date": (now - timedelta(minutes=5)).isoformat(),
            "description": "Wrong email or password.",
        },
        {"type": "s", "date": now.isoformat()},
    ]
    saved = tmp_path / "logs.json"
    saved.write_text(json.dumps(events))
    done = run([sys.executable, "-m", "otel_auth0", "scan", "--since", "1h", "--json", str(saved)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["auth_failures"]["type"] == {"fp: Wrong email or password.": 1}
    table = run([sys.executable, "-m", "otel_auth0", "scan", str(saved)], tmp_path)
    assert table.returncode == 0 and "Authentication failures: 1" in table.stdout
    (tmp_path / "bad.json").write_text('[{"no_type": 1}')
    done = run([sys.executable, "-m", "otel_auth0", "scan", str(tmp_path / "bad.json")], tmp_path)
    assert done.returncode == 2 and "nothing scanned" in done.stderr
