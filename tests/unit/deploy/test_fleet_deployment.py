"""The fleet deployment examples hang together offline: deploy/kubernetes-fleet/ validates against the
Kubernetes schemas (a Deployment of several replicas, the DSN from the Secret, no claimed volume) and
the compose profile ``ha`` runs two replicas on PostgreSQL behind a load balancer that retries a 503
on the other replica."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from otel_auth0.collector_config import load_config
from otel_auth0.receivers.log_stream_config import LogStreamConfig

ROOT = Path(__file__).resolve().parents[3]
MANIFESTS = ROOT / "deploy" / "kubernetes-fleet"
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict[str, Any]]:
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text(encoding="utf-8"))
    assert set(kustomization["resources"]) == {p.name for p in MANIFESTS.glob("*.yaml")} - {
        "kustomization.yaml"
    }
    documents = {}
    for name in kustomization["resources"]:
        for document in yaml.safe_load_all((MANIFESTS / name).read_text(encoding="utf-8")):
            documents[document["kind"]] = document
    return documents


@pytest.mark.parametrize("version", VERSIONS)
def test_fleet_manifests_validate_against_the_kubernetes_schemas(
    manifests: dict[str, dict[str, Any]], version: str
) -> None:
    assert {"Deployment", "Secret", "ConfigMap", "Service"} <= set(manifests)
    for kind, document in manifests.items():
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{kind}: {error.message}")


def test_replicas_share_postgres_with_the_dsn_from_the_secret(
    manifests: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    deployment = manifests["Deployment"]
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["envFrom"] == [{"secretRef": {"name": manifests["Secret"]["metadata"]["name"]}}]
    assert "volumeClaimTemplates" not in deployment["spec"]
    assert all("persistentVolumeClaim" not in volume for volume in pod["volumes"])
    path = tmp_path / "config.yaml"
    path.write_text(manifests["ConfigMap"]["data"]["config.yaml"], encoding="utf-8")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert raw["state"]["dsn"] == "${env:OTEL_AUTH0_STATE_DSN}"  # never the DSN itself in the ConfigMap
    config = load_config(path, dict(manifests["Secret"]["stringData"]))
    assert config.state.backend == "postgres"
    assert config.state.dsn == manifests["Secret"]["stringData"]["OTEL_AUTH0_STATE_DSN"]
    assert pod["terminationGracePeriodSeconds"] > config.queue.shutdown_deadline
    probe_port = {p["name"]: p["containerPort"] for p in container["ports"]}["telemetry"]
    assert config.telemetry.listen == f"0.0.0.0:{probe_port}"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    stream = config.receivers.section(LogStreamConfig)
    assert stream is not None and stream.listen.endswith(":8383")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8")))


def test_compose_profile_ha_runs_two_replicas_on_postgres_behind_a_load_balancer(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    ha = {name for name, service in services.items() if "ha" in service.get("profiles", [])}
    assert {"postgres", "collector-ha-1", "collector-ha-2", "loadbalancer", "simulator-ha"} <= ha
    for name in ("collector-ha-1", "collector-ha-2"):
        service = services[name]
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["build"]["target"] == "collector-postgres"
    replica = services["collector-ha-1"]
    environment = {
        key: re.sub(r"\$\{(\w+):-([^}]*)\}", r"\2", value) for key, value in replica["environment"].items()
    }
    config_file = ROOT / "deploy" / "otel-auth0" / "ha.yaml"
    assert replica["command"][-1] == f"/etc/otel-auth0/{config_file.name}"
    config = load_config(config_file, environment)
    assert config.state.backend == "postgres" and config.state.dsn is not None
    dsn = dict(part.split("=", 1) for part in config.state.dsn.split())
    postgres = services["postgres"]["environment"]
    assert dsn["host"] == "postgres" and dsn["dbname"] == postgres["POSTGRES_DB"]
    assert dsn["user"] == postgres["POSTGRES_USER"]
    nginx = (ROOT / "deploy" / "ha" / "nginx.conf").read_text(encoding="utf-8")
    stream = config.receivers.section(LogStreamConfig)
    assert stream is not None
    port = stream.listen.rpartition(":")[2]
    assert f"server collector-ha-1:{port}" in nginx and f"server collector-ha-2:{port}" in nginx
    assert re.search(r"proxy_next_upstream [^;]*http_503", nginx)  # a 503 is retried on the other replica
    simulator = [str(part) for part in services["simulator-ha"]["command"]]
    assert simulator[simulator.index("--log-stream-url") + 1] == f"http://loadbalancer:{port}{stream.path}"
