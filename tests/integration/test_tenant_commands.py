"""The commands that act on one tenant, with a ``tenants:`` file of two tenants, each a real simulator
process with its own client secret (``acme`` on the ``good`` profile, ``globex`` on ``misconfigured``):
``scan`` reads every tenant in turn and reports each under its name with its own count, ``--tenant``
reads one; ``readiness`` runs each tenant in a process of its own with its reports in
``DIR/<name>/``; ``probe --tenant`` logs in to the tenant named; ``import --tenant`` queues under that
tenant's state and resource. No output or report shows any part of a secret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.collector_process import run_cli
from tests.support.sim_config import auth0_section, login_probe_section

pytestmark = pytest.mark.integration

# Events each simulated tenant logs (different, so a report counted under the wrong tenant shows).
EVENTS = {"acme": 30, "globex": 55}
PROFILES = {"acme": "good", "globex": "misconfigured"}
SECRETS = {"acme": "acme-m2m-secret-Tq81vXw3", "globex": "globex-m2m-secret-Lp04zRn7"}


@pytest.fixture(scope="module")
def sims(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SimulatorHandle]]:
    """Both tenants, each with exactly ``EVENTS[name]`` log events stored."""
    with ExitStack() as stack:
        handles = {}
        for name, profile in PROFILES.items():
            state = tmp_path_factory.mktemp(f"sim-{name}")
            args = ["--profile", profile, "--events-per-second", "0", "--client-secret", SECRETS[name]]
            handles[name] = stack.enter_context(running_simulator(*args, "--state-dir", str(state)))
        for name, sim in handles.items():
            response = httpx.post(
                f"{sim.base_url}/_sim/events", json={"generate": EVENTS[name]}, verify=sim.verify, timeout=30
            )
            response.raise_for_status()
        yield handles


def stored(sim: SimulatorHandle) -> int:
    ids = httpx.get(f"{sim.base_url}/_sim/log-ids", verify=sim.verify, timeout=30).json()["log_ids"]
    return len(ids)


def fleet(tmp_path: Path, sims: dict[str, SimulatorHandle]) -> Path:
    tenants: list[dict[str, Any]] = [
        {
            "name": name,
            "auth0": auth0_section(sim),
            "receivers": {"login_probe": login_probe_section(sim)} if name == "acme" else {"logs_api": {}},
        }
        for name, sim in sims.items()
    ]
    config = {
        "state_dir": str(tmp_path / "state"),
        "exporters": {"file": {"path": str(tmp_path / "telemetry.jsonl")}},
        "readiness": {"thresholds": {"rate_limit_events": 10_000}},
        "tenants": tenants,
    }
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS.values():
            assert secret not in text and secret[-8:] not in text


def test_scan_reads_every_tenant_under_its_name_and_one_with_tenant(
    tmp_path: Path, sims: dict[str, SimulatorHandle]
) -> None:
    path = fleet(tmp_path, sims)
    counts = {name: stored(sim) for name, sim in sims.items()}
    print("events stored per tenant:", counts)
    assert counts["acme"] >= EVENTS["acme"] and counts["globex"] >= EVENTS["globex"]

    done = run_cli("scan", "--since", "24h", "--config", str(path), "--json", timeout=300)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    found = {report["tenant"]: report["events"] for report in body["tenants"]}
    print("events read per tenant:", found)
    assert found == counts

    done = run_cli("scan", "--since", "24h", "--config", str(path), "--tenant", "globex", "--json")
    assert done.returncode == 0, done.stderr
    one = json.loads(done.stdout)
    assert (one["tenant"], one["events"]) == ("globex", counts["globex"])

    table = run_cli("scan", "--since", "24h", "--config", str(path))
    assert table.returncode == 0, table.stderr
    assert f"tenant acme ({sims['acme'].info['domain']})" in table.stdout
    assert f"tenant globex ({sims['globex'].info['domain']})" in table.stdout
    assert_no_secret(done.stdout, done.stderr, table.stdout, table.stderr)


def test_scan_of_every_tenant_goes_on_past_a_tenant_it_cannot_read(
    tmp_path: Path, sims: dict[str, SimulatorHandle]
) -> None:
    path = fleet(tmp_path, sims)
    config = yaml.safe_load(path.read_text())
    wrong = "not-the-globex-secret-Hh52"
    config["tenants"][1]["auth0"]["client_secret"] = wrong
    path.write_text(yaml.safe_dump(config))
    done = run_cli("scan", "--since", "24h", "--config", str(path), "--json", timeout=300)
    assert done.returncode == 3, done.stdout + done.stderr  # globex's window unread
    acme, globex = json.loads(done.stdout)["tenants"]
    assert acme["events"] == stored(sims["acme"]) and acme["complete"]
    assert globex["tenant"] == "globex" and not globex["complete"] and "401" in globex["unread"]
    assert "otel-auth0 scan: tenant globex: incomplete:" in done.stderr
    assert_no_secret(done.stdout, done.stderr)
    assert wrong not in done.stdout + done.stderr


def test_readiness_runs_each_tenant_with_its_own_reports(
    tmp_path: Path, sims: dict[str, SimulatorHandle]
) -> None:
    path = fleet(tmp_path, sims)
    reports = tmp_path / "reports"
    argv = ["readiness", "--config", str(path), "--tags", "production_checks and not manual"]
    argv += ["--report-dir", str(reports)]
    done = run_cli(*argv, timeout=600)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]  # globex is misconfigured
    closing = [line for line in done.stdout.splitlines() if line.startswith("readiness: tenant ")][-2:]
    print("\n".join(closing))
    assert closing[0].startswith("readiness: tenant acme: ") and " 0 failed " in closing[0]
    assert closing[1].startswith("readiness: tenant globex: ") and " 0 failed " not in closing[1]

    results = {}
    for name, sim in sims.items():
        run = json.loads((reports / name / "run.json").read_text())
        assert (run["tenant"], run["domain"]) == (name, sim.info["domain"])
        results[name] = json.loads((reports / name / "results.json").read_text())
        summary = (reports / name / "summary.md").read_text()
        assert_no_secret(summary, (reports / name / "cucumber.json").read_text())
    failed = {name: {r["title"] for r in rows if r["outcome"] == "failed"} for name, rows in results.items()}
    print("failed scenarios per tenant:", {name: len(titles) for name, titles in failed.items()})
    assert failed["acme"] == set() and failed["globex"]
    assert_no_secret(done.stdout, done.stderr)

    one = tmp_path / "one"
    done = run_cli(*argv[:-1], str(one), "--tenant", "acme", timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "readiness: tenant acme: " in done.stdout
    assert json.loads((one / "run.json").read_text())["tenant"] == "acme"


def test_probe_and_import_act_on_the_tenant_named(tmp_path: Path, sims: dict[str, SimulatorHandle]) -> None:
    path = fleet(tmp_path, sims)
    done = run_cli("probe", "--config", str(path))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"otel-auth0: {path} lists 2 tenants (acme, globex): choose one with --tenant NAME"
    )
    done = run_cli("probe", "--config", str(path), "--tenant", "acme", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True and result["tenant"] == "acme"
    assert (tmp_path / "state" / "tenants" / "acme").is_dir()

    events = httpx.get(f"{sims['globex'].base_url}/_sim/events", verify=sims["globex"].verify, timeout=30)
    saved = tmp_path / "globex-logs.json"
    saved.write_text(events.text)
    done = run_cli("import", "--config", str(path), "--tenant", "globex", str(saved))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"tenant globex: imported {len(events.json())} events")
    assert (tmp_path / "state" / "tenants" / "globex" / "queue.sqlite3").is_file()
    assert not (tmp_path / "state" / "queue.sqlite3").exists()
    resources = [
        {kv["key"]: kv["value"].get("stringValue") for kv in block["resource"]["attributes"]}
        for line in (tmp_path / "telemetry.jsonl").read_text().splitlines()
        for block in json.loads(line).get("resourceLogs", [])
    ]
    assert resources and all(
        (r["auth0.tenant.name"], r["auth0.domain"]) == ("globex", sims["globex"].info["domain"])
        for r in resources
    )
    assert_no_secret(done.stdout, done.stderr)
