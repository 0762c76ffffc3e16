"""deploy/kubernetes/ validates against the Kubernetes OpenAPI schemas (offline, kubernetes-validate)
and hangs together: a StatefulSet per tenant with state_dir on a claimed volume, probes on the health
server's endpoints, credentials from the Secret, the configuration from the ConfigMap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from otel_auth0.collector_config import load_config
from otel_auth0.http_listen import RESERVED_FILES
from otel_auth0.receivers.log_stream_config import LogStreamConfig

MANIFESTS = Path(__file__).resolve().parents[3] / "deploy" / "kubernetes"
# The oldest Kubernetes release the manifests must suit, and the newest schemas shipped.
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())


def _documents() -> dict[str, dict[str, Any]]:
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text(encoding="utf-8"))
    documents = {}
    for name in kustomization["resources"]:
        for document in yaml.safe_load_all((MANIFESTS / name).read_text(encoding="utf-8")):
            documents[document["kind"]] = document
    return documents


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict[str, Any]]:
    return _documents()


def test_every_file_is_listed_in_the_kustomization() -> None:
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text(encoding="utf-8"))
    files = {path.name for path in MANIFESTS.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


@pytest.mark.parametrize("version", VERSIONS)
def test_manifests_validate_against_the_kubernetes_schemas(
    manifests: dict[str, dict[str, Any]], version: str
) -> None:
    assert {"StatefulSet", "Secret", "ConfigMap", "Service"} <= set(manifests)
    for kind, document in manifests.items():
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{kind}: {error.message}")


def test_validation_rejects_a_misspelt_field(manifests: dict[str, dict[str, Any]]) -> None:
    broken = yaml.safe_load(yaml.safe_dump(manifests["StatefulSet"]))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def _container(manifests: dict[str, dict[str, Any]]) -> dict[str, Any]:
    containers = manifests["StatefulSet"]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def _config(manifests: dict[str, dict[str, Any]], tmp_path: Path) -> Any:
    path = tmp_path / "config.yaml"
    path.write_text(manifests["ConfigMap"]["data"]["config.yaml"], encoding="utf-8")
    return load_config(path, dict(manifests["Secret"]["stringData"]))


def test_statefulset_keeps_state_dir_on_a_claimed_volume(
    manifests: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    statefulset = manifests["StatefulSet"]
    assert statefulset["spec"]["replicas"] == 1
    assert statefulset["spec"]["serviceName"] == manifests["Service"]["metadata"]["name"]
    claims = {claim["metadata"]["name"] for claim in statefulset["spec"]["volumeClaimTemplates"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in _container(manifests)["volumeMounts"]}
    state_dir = _config(manifests, tmp_path).state_dir
    mounted = [path for path in mounts if Path(state_dir).is_relative_to(path)]
    assert mounted and mounts[mounted[0]] in claims


def test_probes_use_the_health_server(manifests: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    container = _container(manifests)
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    config = _config(manifests, tmp_path)
    assert config.telemetry.listen is not None
    host, _, port = config.telemetry.listen.rpartition(":")
    assert host == "0.0.0.0"  # the kubelet probes the pod's address
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe"):
        assert ports[container[probe]["httpGet"]["port"]] == int(port)
    log_stream = config.receivers.section(LogStreamConfig)
    assert log_stream is not None
    assert ports["log-stream"] == int(log_stream.listen.rpartition(":")[2])
    service_ports = {port["targetPort"] for port in manifests["Service"]["spec"]["ports"]}
    assert service_ports <= set(ports)


def test_credentials_come_from_the_secret(manifests: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    container = _container(manifests)
    secret = manifests["Secret"]
    assert [source["secretRef"]["name"] for source in container["envFrom"]] == [secret["metadata"]["name"]]
    config_text = manifests["ConfigMap"]["data"]["config.yaml"]
    for key in ("AUTH0_CLIENT_SECRET", "AUTH0_LOG_STREAM_TOKEN"):
        assert f"${{env:{key}}}" in config_text and key in secret["stringData"]
    config = _config(manifests, tmp_path)
    assert (
        config.auth0 is not None and config.auth0.client_secret == secret["stringData"]["AUTH0_CLIENT_SECRET"]
    )
    volumes = manifests["StatefulSet"]["spec"]["template"]["spec"]["volumes"]
    assert {"name": "config", "configMap": {"name": manifests["ConfigMap"]["metadata"]["name"]}} in volumes


def test_the_listeners_fit_a_1024_open_file_limit(
    manifests: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """Kubernetes cannot set RLIMIT_NOFILE per pod: the ConfigMap's caps fit even a runtime's 1024."""
    config = _config(manifests, tmp_path)
    log_stream = config.receivers.section(LogStreamConfig)
    assert log_stream is not None
    assert log_stream.max_connections + config.telemetry.max_connections + RESERVED_FILES <= 1024
    comment = (MANIFESTS / "statefulset.yaml").read_text(encoding="utf-8")
    assert "RLIMIT_NOFILE" in comment and "max_connections" in comment
