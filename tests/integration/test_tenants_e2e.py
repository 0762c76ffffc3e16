"""Many tenants in one configuration: three real simulators, each streaming to its own path on one
shared Log Stream listener and polled by its own logs_api receiver, in one ``otel-auth0 run``
process exporting to the test OTLP receiver — real processes over loopback."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.collector_process import running_collector, write_config
from tests.integration.log_stream_process import as_array, free_port, items, otlp_exporter, post_items
from tests.otlp_receiver import OtlpReceiver

pytestmark = pytest.mark.integration

TENANTS = ("acme", "globex", "initech")
EVENTS = 60


def token_of(tenant: str) -> str:
    return f"stream-token-of-{tenant}"


def sim_stats(sim: SimulatorHandle) -> dict[str, Any]:
    stats: dict[str, Any] = httpx.get(f"{sim.base_url}/_sim/stats", timeout=10).json()
    return stats


def generated_all(sim: SimulatorHandle) -> bool:
    return int(sim_stats(sim)["generated"]) >= EVENTS


def streamed_all(sim: SimulatorHandle) -> bool:
    """Every generated event was answered 200 by the collector on the tenant's stream path."""
    return int(sim_stats(sim)["stream"]["delivered"]) >= EVENTS


def sim_log_ids(sim: SimulatorHandle) -> set[str]:
    return set(httpx.get(f"{sim.base_url}/_sim/log-ids", timeout=10).json()["log_ids"])


@contextmanager
def simulators(tmp_path: Path, port: int, stream: bool = True) -> Iterator[dict[str, SimulatorHandle]]:
    """One simulator per tenant, generating ``EVENTS`` events (pushed to its tenant's path when
    ``stream``)."""
    with ExitStack() as stack:
        sims = {}
        for tenant in TENANTS:
            args = [
                "--no-tls",
                "--state-dir",
                str(tmp_path / f"sim-{tenant}"),
                "--events-per-second",
                "20",
                "--max-events",
                str(EVENTS),
            ]
            if stream:
                args += [
                    "--log-stream-url",
                    f"http://127.0.0.1:{port}/auth0/{tenant}/logs",
                    "--log-stream-token",
                    token_of(tenant),
                    "--log-stream-batch-size",
                    "10",
                ]
            sims[tenant] = stack.enter_context(running_simulator(*args))
        yield sims


def tenant_entry(
    tenant: str, sim: SimulatorHandle, port: int | None, secret: str | None = None
) -> dict[str, Any]:
    """One ``tenants:`` entry polling ``sim`` (hybrid with its stream on ``port`` when given)."""
    receivers: dict[str, Any] = {"logs_api": {"interval": "300ms", "start_from": "oldest"}}
    if port is not None:
        receivers["logs_api"]["gap_fill_after"] = "0s"  # poll beside the stream all the time
        receivers["log_stream"] = {"listen": f"127.0.0.1:{port}", "token": token_of(tenant)}
    return {
        "name": tenant,
        "auth0": {
            "domain": sim.info["domain"],
            "scheme": "http",
            "client_id": sim.info["client_id"],
            "client_secret": secret or sim.info["client_secret"],
        },
        "receivers": receivers,
    }


def ids_by_tenant(backend: OtlpReceiver) -> Counter[tuple[str, str, str]]:
    """(resource auth0.tenant.name, resource auth0.domain, auth0.log.id) of every received record."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for received in backend.log_records():
        record_attributes = {kv.key: kv.value.string_value for kv in received.record.attributes}
        log_id = record_attributes.get("auth0.log.id")
        if log_id:
            resource = received.resource
            counts[(str(resource.get("auth0.tenant.name")), str(resource.get("auth0.domain")), log_id)] += 1
    return counts


def test_three_tenants_on_one_listener_each_log_once_under_its_own_resource(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    port, telemetry_port = free_port(), free_port()
    with simulators(tmp_path, port) as sims:
        config = {
            "state_dir": str(tmp_path / "state"),
            "tenants": [tenant_entry(tenant, sims[tenant], port) for tenant in TENANTS],
            "exporters": {"otlp": otlp_exporter(otlp_receiver.http_endpoint)},
            "telemetry": {"listen": f"127.0.0.1:{telemetry_port}", "metrics_interval": "1s"},
        }
        path = write_config(tmp_path / "config.yaml", config)
        with running_collector(path, tmp_path / "collector.log", port) as collector:
            expected: Counter[tuple[str, str, str]] = Counter()
            for tenant, sim in sims.items():
                otlp_receiver.wait_for(partial(generated_all, sim), timeout=60)
                expected.update((tenant, sim.info["domain"], log_id) for log_id in sim_log_ids(sim))
            assert len(expected) == EVENTS * len(TENANTS)
            # Every tenant's stream was accepted on its own path with its own token.
            for tenant, sim in sims.items():
                assert otlp_receiver.wait_for(partial(streamed_all, sim), timeout=60), (
                    tenant,
                    sim_stats(sim)["stream"],
                    collector.stderr_text(),
                )
            assert otlp_receiver.wait_for(lambda: set(expected) <= set(ids_by_tenant(otlp_receiver)), 60), (
                collector.stderr_text()
            )

            # A token of one tenant on another's path, a wrong token, a path nobody serves: refused.
            body = as_array(items(3))
            url = f"http://127.0.0.1:{port}/auth0/globex/logs"
            assert post_items(url, body, token=token_of("acme")).status_code == 401
            assert post_items(url, body, token="wrong").status_code == 401
            unknown = post_items(f"http://127.0.0.1:{port}/auth0/nobody/logs", body, token=token_of("acme"))
            assert unknown.status_code == 404
            assert (
                post_items(f"http://127.0.0.1:{port}/auth0/logs", body, token=token_of("acme")).status_code
                == 404
            )

            # Self-metrics name the tenant.
            def labelled() -> bool:
                text = httpx.get(f"http://127.0.0.1:{telemetry_port}/metrics", timeout=10).text
                return all(f'auth0_tenant="{tenant}"' in text for tenant in TENANTS)

            assert otlp_receiver.wait_for(labelled, timeout=30)
            metrics = httpx.get(f"http://127.0.0.1:{telemetry_port}/metrics", timeout=10).text
            refused = [
                line
                for line in metrics.splitlines()
                if line.startswith("otel_auth0_receiver_requests")
                and 'auth0_tenant="globex"' in line
                and 'http_response_status_code="401"' in line
            ]
            assert refused and float(refused[0].rsplit(" ", 1)[1]) == 2.0, refused
            assert collector.terminate() == 0, collector.stderr_text()

    counts = ids_by_tenant(otlp_receiver)
    stray = {key: n for key, n in counts.items() if key not in expected}
    assert stray == {}, "a record arrived under another tenant's resource (or was never generated)"
    assert {key: counts[key] for key in expected if counts[key] != 1} == {}
    print(
        f"{len(TENANTS)} tenants on one listener: {len(expected)} log ids generated, "
        f"{sum(counts[key] for key in expected)} received under their tenant's resource, {len(stray)} stray"
    )
    assert sorted(tmp_path.joinpath("state", "tenants").iterdir()) == [
        tmp_path / "state" / "tenants" / tenant for tenant in sorted(TENANTS)
    ]


def test_a_tenant_with_a_wrong_secret_does_not_stop_the_others(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    """globex's secret is wrong and a fourth tenant's domain is a closed loopback port: acme and
    initech deliver everything, /readyz names both failing tenants."""
    telemetry_port = free_port()
    with simulators(tmp_path, 0, stream=False) as sims:
        entries = [
            tenant_entry(tenant, sim, None, secret="not-the-secret" if tenant == "globex" else None)
            for tenant, sim in sims.items()
        ]
        unreachable = tenant_entry("unreachable", sims["acme"], None)
        unreachable["auth0"]["domain"] = f"127.0.0.1:{free_port()}"
        entries.append(unreachable)
        config = {
            "state_dir": str(tmp_path / "state"),
            "tenants": entries,
            "exporters": {"otlp": otlp_exporter(otlp_receiver.http_endpoint)},
            "telemetry": {"listen": f"127.0.0.1:{telemetry_port}", "health": {"receiver_stale_after": "1s"}},
        }
        path = write_config(tmp_path / "config.yaml", config)
        with running_collector(path, tmp_path / "collector.log") as collector:
            healthy = {tenant: sim for tenant, sim in sims.items() if tenant != "globex"}
            expected: set[tuple[str, str, str]] = set()
            for tenant, sim in healthy.items():
                otlp_receiver.wait_for(partial(generated_all, sim), timeout=60)
                expected |= {(tenant, sim.info["domain"], log_id) for log_id in sim_log_ids(sim)}
            assert len(expected) == EVENTS * 2
            assert otlp_receiver.wait_for(lambda: expected <= set(ids_by_tenant(otlp_receiver)), 60), (
                collector.stderr_text()
            )

            def failing_named() -> bool:
                response = httpx.get(f"http://127.0.0.1:{telemetry_port}/readyz", timeout=10)
                reasons: list[str] = response.json().get("reasons", [])
                return all(
                    any(reason.startswith(f"tenant {tenant}: receiver logs_api") for reason in reasons)
                    for tenant in ("globex", "unreachable")
                )

            assert otlp_receiver.wait_for(failing_named, timeout=60), collector.stderr_text()
            assert httpx.get(f"http://127.0.0.1:{telemetry_port}/readyz", timeout=10).status_code == 503
            assert collector.terminate() == 0, collector.stderr_text()
        counts = ids_by_tenant(otlp_receiver)
        assert {key: counts[key] for key in expected if counts[key] != 1} == {}
        assert not [key for key in counts if key[0] in ("globex", "unreachable")], (
            "nothing can come from them"
        )
        log_text = (tmp_path / "collector.log").read_text(encoding="utf-8")
        assert "not-the-secret" not in log_text
        # Log lines name the tenant they are about.
        assert "tenant globex: logs_api: token request answered 401" in log_text
        assert "tenant unreachable: logs_api: token request failed" in log_text
