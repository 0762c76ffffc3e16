"""The compose stack's Collector configuration, run for real: an OpenTelemetry Collector (contrib) and
Jaeger v2 from their pinned images, ``otel-auth0 import`` exporting to the Collector, the spans queried
back from Jaeger's API and the metrics read from the Collector's Prometheus endpoint.

Needs a Docker engine; skipped with the reason when none answers (checked with the Docker SDK's ping).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COLLECTOR_CONFIG = ROOT / "deploy" / "otelcol" / "config.yaml"
LOOPBACK = ("localhost", "127.0.0.1", "::1")

pytestmark = [pytest.mark.docker, pytest.mark.integration]


def _compose_images() -> dict[str, str]:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    return {name: services[name]["image"] for name in ("otelcol", "jaeger")}


def _docker_unavailable() -> str | None:
    """Why the Docker engine cannot be used, or None when it answers a ping."""
    try:
        import docker

        client = docker.from_env(timeout=5)
        client.ping()
        client.close()
    except Exception as error:
        return f"no Docker engine answers ({type(error).__name__}: {error})"
    return None


def _wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Stack:
    """The running containers' endpoints on this machine."""

    otlp_http: str
    prometheus_metrics: str
    jaeger_api: str


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    reason = _docker_unavailable()
    if reason:
        pytest.skip(reason)
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.network import Network

    images = _compose_images()
    with Network() as network:
        jaeger = (
            DockerContainer(images["jaeger"])
            .with_network(network)
            .with_network_aliases("jaeger")
            .with_exposed_ports(16686)
        )
        collector = (
            DockerContainer(images["otelcol"])
            .with_network(network)
            .with_network_aliases("otelcol")
            .with_volume_mapping(str(COLLECTOR_CONFIG), "/etc/otelcol-contrib/config.yaml", "ro")
            .with_command("--config=/etc/otelcol-contrib/config.yaml")
            .with_exposed_ports(4318, 8889, 13133)
        )
        with jaeger, collector:
            host = collector.get_container_host_ip()
            if host not in LOOPBACK:
                pytest.skip(f"the Docker engine publishes ports on {host}; these tests only talk to loopback")
            jaeger_api = f"http://{host}:{jaeger.get_exposed_port(16686)}"
            health = f"http://{host}:{collector.get_exposed_port(13133)}/"
            _wait_until(lambda: httpx.get(jaeger_api, timeout=2).status_code == 200, 60, "Jaeger's UI")
            _wait_until(lambda: httpx.get(health, timeout=2).status_code == 200, 60, "the Collector's health")
            yield Stack(
                otlp_http=f"http://{host}:{collector.get_exposed_port(4318)}",
                prometheus_metrics=f"http://{host}:{collector.get_exposed_port(8889)}/metrics",
                jaeger_api=jaeger_api,
            )


def _login_transaction(now: datetime) -> list[dict[str, Any]]:
    """A Universal Login: a failed password, the success and the code exchange, one transaction."""
    base = now.strftime("%Y%m%d%H%M%S")
    steps = [
        ("fp", "Wrong email or password."),
        ("s", "Successful login"),
        ("seacft", "Authorization Code exchange"),
    ]
    events = []
    for index, (code, description) in enumerate(steps):
        events.append(
            {
                "log_id": f"900{base}{index:039d}",
                "date": (now + timedelta(milliseconds=200 * index)).isoformat().replace("+00:00", "Z"),
                "type": code,
                "description": description,
                "client_id": "testcontainers-client",
                "client_name": "Testcontainers App",
                "connection": "Username-Password-Authentication",
                "ip": "203.0.113.7",
                "user_id": "auth0|testcontainers",
                "user_name": "tc@example.com",
                "tenant_name": "testcontainers",
                "details": {"transaction_id": "tc-transaction-1"},
            }
        )
    return events


def _span_log_ids(body: dict[str, Any]) -> set[str]:
    found = set()
    for resource in body.get("result", {}).get("resourceSpans", []):
        for scope in resource.get("scopeSpans", []):
            for span in scope.get("spans", []):
                for attribute in span.get("attributes", []):
                    if attribute["key"] == "auth0.log.id":
                        found.add(attribute["value"].get("stringValue", ""))
    return found


def test_import_reaches_jaeger_and_prometheus_through_the_collector(stack: Stack, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    events = _login_transaction(now)
    (tmp_path / "events.json").write_text(json.dumps(events), encoding="utf-8")
    config = {
        "auth0": {"domain": "testcontainers.us.auth0.com"},
        "state_dir": str(tmp_path / "state"),
        "service_name": "auth0-testcontainers",
        "exporters": {"otlp": {"endpoint": stack.otlp_http, "protocol": "http/protobuf"}},
        "telemetry": {"spans": "all", "metrics_interval": "1s"},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    command = ["import", "--config", str(tmp_path / "config.yaml"), str(tmp_path / "events.json")]
    result = subprocess.run(
        [sys.executable, "-m", "otel_auth0", *command, "--timeout", "60"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    window = {
        "query.service_name": "auth0-testcontainers",
        "query.start_time_min": (now - timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        "query.start_time_max": (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
    }
    expected = {event["log_id"] for event in events}
    seen: set[str] = set()

    def spans_arrived() -> bool:
        response = httpx.get(f"{stack.jaeger_api}/api/v3/traces", params=window, timeout=5)
        if response.status_code != 200:
            return False
        seen.update(_span_log_ids(response.json()))
        return seen >= expected

    _wait_until(spans_arrived, 60, "the imported spans in Jaeger")
    assert seen == expected

    def metrics_exposed() -> bool:
        text = httpx.get(stack.prometheus_metrics, timeout=5).text
        return "auth0_log_events_total{" in text and 'auth0_log_type="seacft"' in text

    _wait_until(metrics_exposed, 60, "auth0_log_events_total on the Collector's Prometheus endpoint")
