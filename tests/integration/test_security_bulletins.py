"""The notices receiver watches the simulator's security-bulletins page and an SDK's advisories: the
first fetch sets the baseline, a published bulletin or advisory becomes one ``auth0.security_bulletin``
WARN record naming it, unchanged documents answer 304 (ETag), and nothing repeats across a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.collector_process import running_collector, write_config
from tests.otlp_receiver import OtlpReceiver, wait_for
from tests.support.sim_config import notices_urls

pytestmark = pytest.mark.integration
SDK = "auth0/nextjs-auth0"
EVENT = "auth0.security_bulletin"


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatorHandle]:
    with running_simulator("--events-per-second", "0", "--state-dir", str(tmp_path / "sim")) as handle:
        yield handle


def sim_call(sim: SimulatorHandle, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{sim.base_url}{path}", json=body, verify=sim.verify, timeout=10)
    response.raise_for_status()
    return response.json()


def requests(sim: SimulatorHandle, path: str, status: str | None = None) -> int:
    counts = sim_call(sim, "GET", "/_sim/stats")["requests"].get(path, {})
    return int(counts.get(status, 0)) if status else sum(counts.values())


def records(receiver: OtlpReceiver) -> list[Any]:
    return [r.record for r in receiver.log_records() if r.record.event_name == EVENT]


def attrs(pairs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in pairs:
        value = kv.value
        kind = value.WhichOneof("value")
        out[kv.key] = (
            [v.string_value for v in value.array_value.values]
            if kind == "array_value"
            else getattr(value, kind)
        )
    return out


def test_new_bulletins_and_advisories_become_records_once(
    sim: SimulatorHandle, otlp_receiver: OtlpReceiver, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "config.yaml",
        {
            "auth0": {"domain": sim.info["domain"], "ca_file": sim.info["ca_file"]},
            "state_dir": str(tmp_path / "state"),
            "receivers": {
                "notices": {
                    "interval": "300ms",
                    **notices_urls(sim, advisories=True),
                    "sdks": [SDK],
                }
            },
            "exporters": {"otlp": {"endpoint": otlp_receiver.http_endpoint}},
        },
    )
    page, advisories = "/security-bulletins", f"/sdk-advisories/{SDK}"
    with running_collector(config) as collector:
        wait_for(
            lambda: requests(sim, page, "304") >= 1 and requests(sim, advisories, "304") >= 1, timeout=60
        )
        assert collector.terminate() == 0, collector.stderr_text()
    assert records(otlp_receiver) == []  # the first fetch is the baseline

    sim_call(
        sim,
        "POST",
        "/_sim/security-bulletins",
        {"items": [{"id": "cve-2026-1234", "title": "Bulletin: token leak (CVE-2026-1234)"}]},
    )
    advisory = {"ghsa_id": "GHSA-aaaa-bbbb-cccc", "summary": "Session fixation", "severity": "high"}
    sim_call(sim, "POST", f"/_sim/sdk-advisories/{SDK}", {"advisories": [advisory]})
    with running_collector(config) as collector:
        otlp_receiver.wait_for(lambda: len(records(otlp_receiver)) >= 2, timeout=60)
        seen = requests(sim, page)
        wait_for(lambda: requests(sim, page) >= seen + 3, timeout=60)  # more polls: nothing new
        assert collector.terminate() == 0, collector.stderr_text()

    found = {attrs(r.attributes)["auth0.security_bulletin.source"]: r for r in records(otlp_receiver)}
    assert sorted(found) == ["auth0", SDK] and len(records(otlp_receiver)) == 2
    bulletin, sdk = attrs(found["auth0"].attributes), attrs(found[SDK].attributes)
    assert bulletin["auth0.security_bulletin.new"] == ["Bulletin: token leak (CVE-2026-1234)"]
    assert bulletin["url.full"] == f"{sim.base_url}/security-bulletins"
    assert sdk["auth0.security_bulletin.new"] == ["high: Session fixation"]
    assert all(r.severity_text == "WARN" for r in found.values())
    assert found[SDK].body.string_value == f"New security advisories of {SDK}: high: Session fixation"
