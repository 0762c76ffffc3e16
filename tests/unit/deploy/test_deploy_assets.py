"""The deployment assets are consistent without a Docker engine: docker-compose.yml validates against the
Compose specification and mounts only files that exist, the Collector configuration uses only components
of the contrib distribution, and every metric Grafana and Prometheus query is one we emit and document."""

from __future__ import annotations

import inspect
import ipaddress
import itertools
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from opentelemetry.metrics import NoOpMeter

from otel_auth0.auth0.ip_ranges import load_snapshot
from otel_auth0.cli import build_parser
from otel_auth0.collector_config import load_config
from otel_auth0.instruments import Instruments
from otel_auth0.readiness.firewall import read_allowlist
from otel_auth0.receivers.log_stream_config import LogStreamConfig
from tests.shared_data import require_shared_data

ROOT = Path(__file__).resolve().parents[3]
COMPOSE_FILE = ROOT / "docker-compose.yml"
RUN_CONFIG = ROOT / "deploy" / "otel-auth0" / "config.yaml"
COLLECTOR_CONFIG = ROOT / "deploy" / "otelcol" / "config.yaml"
PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"
ALERT_RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
GRAFANA_DIR = ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "otel-auth0.json"
TELEMETRY_DOC = ROOT / "docs" / "telemetry.md"
BACKENDS_DOC = ROOT / "docs" / "backends.md"
PROJECT_IMAGE = "otel-auth0:local"
TOOLS_IMAGE = "otel-auth0-tools:local"
HA_IMAGE = "otel-auth0-postgres:local"
PROJECT_IMAGES = {PROJECT_IMAGE: "collector", TOOLS_IMAGE: "tools", HA_IMAGE: "collector-postgres"}

# Components of the OpenTelemetry Collector contrib distribution at the pinned tag (0.159.0) that
# deploy/ may use. From v0.144.0 the OTLP exporters are `otlp_grpc` and `otlp_http`; the old names
# `otlp` / `otlphttp` are deprecated aliases and `logging` / `jaeger` exporters no longer exist.
CONTRIB_COMPONENTS: dict[str, frozenset[str]] = {
    "receivers": frozenset({"otlp", "prometheus", "kafka", "filelog", "hostmetrics", "webhookevent"}),
    "processors": frozenset(
        {"batch", "memory_limiter", "resource", "attributes", "transform", "filter", "resourcedetection"}
    ),
    "exporters": frozenset(
        {"otlp_grpc", "otlp_http", "prometheus", "prometheusremotewrite", "debug", "kafka", "file"}
    ),
    "extensions": frozenset({"health_check", "pprof", "zpages", "file_storage"}),
    "connectors": frozenset({"spanmetrics", "forward", "count"}),
}
SIGNALS = ("traces", "metrics", "logs")

# Prometheus unit words of the Collector's translator (UnderscoreEscapingWithSuffixes, the default).
UNIT_WORDS = {
    "s": "seconds",
    "ms": "milliseconds",
    "us": "microseconds",
    "ns": "nanoseconds",
    "min": "minutes",
    "h": "hours",
    "d": "days",
    "By": "bytes",
    "KiBy": "kibibytes",
    "MiBy": "mebibytes",
    "%": "percent",
}
METRIC_PREFIX = re.compile(r"\b(?:otel_auth0|auth0)_[A-Za-z0-9_]+")
ENV_DEFAULT = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = _load_yaml(COMPOSE_FILE)
    assert isinstance(data, dict)
    return data


# ---------------------------------------------------------------------------------------------- compose


def test_compose_file_validates_against_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(require_shared_data("data", "compose-spec", "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda error: list(error.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_compose_brings_up_the_whole_stack(compose: dict[str, Any]) -> None:
    services = compose["services"]
    expected = {"simulator", "collector-auth0", "otelcol", "jaeger", "prometheus", "grafana", "smtp"}
    expected.add("readiness")
    assert expected <= set(services)
    assert services["readiness"]["profiles"] == ["readiness"]
    assert all("profiles" not in services[name] for name in expected - {"readiness"})


def _bind_sources(service: dict[str, Any]) -> list[str]:
    sources = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            sources.append(volume.split(":", 1)[0])
        elif volume.get("type", "volume") == "bind":
            sources.append(volume["source"])
        else:
            sources.append(volume.get("source", ""))
    return sources


def test_every_mounted_file_exists_and_every_named_volume_is_declared(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for source in _bind_sources(service):
            if source.startswith((".", "/")):
                assert (ROOT / source).resolve().exists(), f"{name} mounts {source}, which does not exist"
            else:
                assert source in declared, f"{name} uses volume {source!r}, not declared under volumes:"


def test_images_are_pinned(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = service["image"]
        if image in PROJECT_IMAGES:
            build = service.get("build", {})
            assert build.get("context") == ".", f"{name} must build the project image"
            assert build.get("target") == PROJECT_IMAGES[image], (
                f"{name}: {image} is the {build.get('target')} target"
            )
            continue
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        assert tag and tag != "latest" and re.search(r"\d", tag), f"{name}: image {image} is not pinned"


def test_dependencies_wait_for_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    healthy_waits = 0
    for name, service in services.items():
        for target, condition in (service.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown service {target}"
            if condition["condition"] == "service_healthy":
                healthy_waits += 1
                assert "healthcheck" in services[target], f"{name} waits for {target} without healthcheck"
    assert healthy_waits >= 5
    for name in ("simulator", "collector-auth0", "jaeger", "prometheus", "grafana", "smtp"):
        assert services[name]["healthcheck"]["test"][0] == "CMD", name


def _expand_defaults(text: str) -> str:
    """Compose interpolation with every variable unset: ``${VAR:-default}`` → ``default``."""
    return ENV_DEFAULT.sub(lambda match: match.group(2) or "", text)


def test_project_commands_are_valid_otel_auth0_command_lines(compose: dict[str, Any]) -> None:
    parser = build_parser()
    for service in compose["services"].values():
        if service["image"] != PROJECT_IMAGE or "entrypoint" in service:
            continue
        command = service["command"]
        argv = shlex.split(command) if isinstance(command, str) else [str(part) for part in command]
        parser.parse_args([_expand_defaults(part) for part in argv])  # exits (fails the test) on a bad flag


def test_collector_image_has_no_simulator(compose: dict[str, Any]) -> None:
    assert compose["services"]["collector-auth0"]["image"] == PROJECT_IMAGE
    assert compose["services"]["simulator"]["image"] == TOOLS_IMAGE
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    collector_stage = dockerfile.split("AS collector", 1)[1]
    assert "simulator" not in collector_stage, "the collector image must not install the simulator"


def test_smtp_catcher_is_aiosmtpd_from_the_project_image(compose: dict[str, Any]) -> None:
    smtp = compose["services"]["smtp"]
    assert smtp["image"] == TOOLS_IMAGE
    assert smtp["entrypoint"][:3] == ["python", "-m", "aiosmtpd"]
    assert "0.0.0.0:1025" in smtp["entrypoint"]


def test_simulator_streams_to_the_log_stream_receiver(compose: dict[str, Any]) -> None:
    services = compose["services"]
    command = [_expand_defaults(str(part)) for part in services["simulator"]["command"]]
    url = command[command.index("--log-stream-url") + 1]
    token = command[command.index("--log-stream-token") + 1]
    config = load_config(RUN_CONFIG, {"AUTH0_LOG_STREAM_TOKEN": token})
    stream = config.receivers.section(LogStreamConfig)
    assert stream is not None and stream.token == token
    port = stream.listen.rpartition(":")[2]
    assert url == f"http://collector-auth0:{port}{stream.path}"
    receiver_token = services["collector-auth0"]["environment"]["AUTH0_LOG_STREAM_TOKEN"]
    assert _expand_defaults(receiver_token) == token


def test_compose_configuration_turns_on_the_receivers_and_targets_the_stack(compose: dict[str, Any]) -> None:
    # Compose passes unset variables as empty strings; the file's ${VAR:-default} then applies.
    environment = compose["services"]["collector-auth0"]["environment"]
    config = load_config(RUN_CONFIG, {name: _expand_defaults(value) for name, value in environment.items()})
    assert config.auth0 is not None and config.auth0.domain == "simulator:8443"
    assert config.exporters.otlp is not None and config.exporters.otlp.endpoint == "http://otelcol:4318"
    assert {"logs_api", "log_stream", "login_probe", "status"} <= set(config.receivers)
    assert str(config.state_dir).startswith("/var/lib/otel-auth0/")


def test_readiness_service_runs_the_gates_on_the_same_configuration(compose: dict[str, Any]) -> None:
    readiness = compose["services"]["readiness"]
    command = [str(part) for part in readiness["command"]]
    config_path = command[command.index("--config") + 1]
    assert config_path == "/etc/otel-auth0/config.yaml"
    assert "./deploy/otel-auth0:/etc/otel-auth0:ro" in readiness["volumes"]
    config = load_config(RUN_CONFIG, {"AUTH0_LOG_STREAM_TOKEN": "t"})
    assert config.readiness is not None and config.readiness.smtp is not None
    if config.readiness.smtp.local:
        # The suite's mailbox listens on loopback; the simulated tenant must share that network.
        assert readiness["network_mode"] == "service:simulator"
    hosts = {target.host for target in config.readiness.inbound_targets}
    assert hosts <= set(compose["services"])


def test_demo_firewall_allowlist_is_the_packaged_us_snapshot() -> None:
    config = load_config(RUN_CONFIG, {"AUTH0_LOG_STREAM_TOKEN": "t"})
    assert config.readiness is not None and config.readiness.allowlist_file is not None
    allowlist = read_allowlist(RUN_CONFIG.parent / config.readiness.allowlist_file)
    published = [ipaddress.ip_network(cidr) for cidr in load_snapshot()[config.readiness.region]]
    assert sorted(map(str, allowlist)) == sorted(map(str, published))


def test_the_collector_image_is_the_default_target_and_holds_no_extra() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM \S+ AS (\S+)$", text, re.MULTILINE)
    assert set(PROJECT_IMAGES.values()) <= set(stages)
    assert stages[-1] == "collector"  # what a plain `docker build .` produces
    collector = text[text.index("AS collector\n") :]
    install = re.findall(r"^RUN pip install (.*)$", collector, re.MULTILINE)
    assert install and install[0].startswith(". ") and "[" not in install[0]  # no extra, no test framework
    tools = text[text.index("AS tools") : text.index("AS collector\n")]
    assert re.search(r"^RUN pip install \.\[readiness\]", tools, re.MULTILINE)  # the gates and aiosmtpd


def test_dockerfile_builds_a_non_root_image_with_the_entry_point() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11\.\d+-slim", text, re.MULTILINE)
    assert re.search(r"^RUN pip install \.", text, re.MULTILINE)
    user = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert 'ENTRYPOINT ["otel-auth0"]' in text
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {"!pyproject.toml", "!README.md", "!otel_auth0/"} <= set(ignored)
    assert (ROOT / "README.md").is_file()


# -------------------------------------------------------------------------------------------- collector


def _component_type(component_id: str) -> str:
    return component_id.split("/", 1)[0]


def test_collector_config_uses_only_contrib_components() -> None:
    config = _load_yaml(COLLECTOR_CONFIG)
    for kind, allowed in CONTRIB_COMPONENTS.items():
        for component_id in config.get(kind) or {}:
            assert _component_type(component_id) in allowed, f"{kind}.{component_id} is not in contrib"


def test_collector_pipelines_reference_defined_components() -> None:
    config = _load_yaml(COLLECTOR_CONFIG)
    service = config["service"]
    used: dict[str, set[str]] = {kind: set() for kind in ("receivers", "processors", "exporters")}
    assert set(service["pipelines"]) == set(SIGNALS)
    for pipeline_id, pipeline in service["pipelines"].items():
        assert pipeline_id.split("/", 1)[0] in SIGNALS
        assert pipeline["receivers"] and pipeline["exporters"], pipeline_id
        for kind in used:
            for component_id in pipeline.get(kind, []):
                assert component_id in (config.get(kind) or {}), f"{pipeline_id}: undefined {component_id}"
                used[kind].add(component_id)
    for kind, ids in used.items():
        assert ids == set(config.get(kind) or {}), f"{kind} defined but unused: {set(config[kind]) - ids}"
    for extension in service.get("extensions", []):
        assert extension in config["extensions"]
    traces = service["pipelines"]["traces"]["exporters"]
    metrics = service["pipelines"]["metrics"]["exporters"]
    assert any(_component_type(e) == "otlp_grpc" for e in traces) and "prometheus" in metrics
    assert all(p["processors"][-1] == "batch" for p in service["pipelines"].values())


def test_collector_endpoints_match_the_compose_services(compose: dict[str, Any]) -> None:
    config = _load_yaml(COLLECTOR_CONFIG)
    jaeger_host = config["exporters"]["otlp_grpc/jaeger"]["endpoint"].split(":")[0]
    assert jaeger_host in compose["services"]
    exporter_port = config["exporters"]["prometheus"]["endpoint"].rpartition(":")[2]
    prometheus = _load_yaml(PROMETHEUS_CONFIG)
    static = [config for job in prometheus["scrape_configs"] for config in job["static_configs"]]
    targets = [target for config in static for target in config["targets"]]
    assert f"otelcol:{exporter_port}" in targets
    run_config = load_config(RUN_CONFIG, {"AUTH0_LOG_STREAM_TOKEN": "t"})
    assert run_config.exporters.otlp is not None and run_config.exporters.otlp.endpoint is not None
    http_port = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].rpartition(":")[2]
    assert run_config.exporters.otlp.endpoint == f"http://otelcol:{http_port}"


# ------------------------------------------------------------------------------------ metric name mapping


@dataclass(frozen=True)
class Metric:
    """One instrument of :class:`Instruments`."""

    name: str
    kind: str  # counter | up_down_counter | gauge | histogram (observable variants folded in)
    unit: str

    @property
    def prometheus_name(self) -> str:
        """The name the Collector's prometheus exporter gives it (UnderscoreEscapingWithSuffixes)."""
        words = [word for word in re.split(r"[^A-Za-z0-9]+", self.name) if word]
        main, _, per = self.unit.partition("/")
        main = re.sub(r"\{[^}]*\}", "", main)
        main = ("ratio" if self.kind == "gauge" else "") if main == "1" else UNIT_WORDS.get(main, main)
        if main and main not in words:
            words.append(main)
        per = re.sub(r"\{[^}]*\}", "", per)
        if per:
            words += ["per", {"s": "second", "m": "minute", "h": "hour", "d": "day"}.get(per, per)]
        if self.kind == "counter" and words[-1] != "total":
            words.append("total")
        return "_".join(words)

    @property
    def series_names(self) -> set[str]:
        """Names of the series Prometheus stores for it."""
        base = self.prometheus_name
        if self.kind == "histogram":
            return {f"{base}_bucket", f"{base}_sum", f"{base}_count"}
        return {base}


class _RecordingMeter:
    """A Meter that records every instrument :class:`Instruments` creates."""

    def __init__(self) -> None:
        self.metrics: list[Metric] = []
        self._noop = NoOpMeter("deploy-assets-test")

    def __getattr__(self, attribute: str) -> Any:
        if not attribute.startswith("create_"):
            raise AttributeError(attribute)
        kind = attribute.removeprefix("create_").removeprefix("observable_")
        create = getattr(self._noop, attribute)

        def record(name: str, *args: Any, **kwargs: Any) -> Any:
            unit = inspect.signature(create).bind(name, *args, **kwargs).arguments.get("unit", "")
            self.metrics.append(Metric(name, kind, str(unit or "")))
            return create(name, *args, **kwargs)

        return record


@pytest.fixture(scope="module")
def metrics() -> dict[str, Metric]:
    meter = _RecordingMeter()
    Instruments(meter)  # type: ignore[arg-type]
    assert meter.metrics, "Instruments created no metric"
    return {series: metric for metric in meter.metrics for series in metric.series_names}


def _documented(text: str, name: str) -> bool:
    return f"`{name}`" in text


def _queried_metrics(expression: str) -> set[str]:
    """Metric names in a PromQL expression (label names in matchers and groupings removed)."""
    expression = re.sub(r"\{[^}]*\}", "", expression)
    expression = re.sub(r"\b(?:by|without)\s*\([^)]*\)", "", expression)
    expression = re.sub(r"label_values\(([^,()]+),[^)]*\)", r"\1", expression)
    return set(METRIC_PREFIX.findall(expression))


def _queried_labels(expression: str) -> set[str]:
    labels = set()
    for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expression):
        labels |= {label.strip() for label in group.split(",") if label.strip()}
    for matchers in re.findall(r"\{([^}]*)\}", expression):
        labels |= set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", matchers))
    labels |= set(re.findall(r"label_values\([^,()]+,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)", expression))
    return labels


def _attribute_candidates(label: str) -> set[str]:
    """Attribute keys the translator turns into ``label`` (each ``_`` was a ``.`` or a ``_``)."""
    parts = label.split("_")
    return {
        "".join(part + sep for part, sep in zip(parts, (*seps, ""), strict=True))
        for seps in itertools.product("._", repeat=len(parts) - 1)
    }


def _dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    expressions = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        expressions.append(query["query"] if isinstance(query, dict) else str(query))
    return expressions


def _alert_expressions() -> list[str]:
    rules = _load_yaml(ALERT_RULES)
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def test_prometheus_name_translation() -> None:
    assert Metric("auth0.log.events", "counter", "{event}").prometheus_name == "auth0_log_events_total"
    assert Metric("auth0.ingest.lag", "gauge", "s").prometheus_name == "auth0_ingest_lag_seconds"
    histogram = Metric("auth0.probe.duration", "histogram", "s")
    assert "auth0_probe_duration_seconds_bucket" in histogram.series_names
    assert Metric("auth0.probe.success", "gauge", "1").prometheus_name == "auth0_probe_success_ratio"
    assert Metric("otel_auth0.queue.size", "gauge", "{record}").prometheus_name == "otel_auth0_queue_size"
    assert Metric("x.rate", "counter", "By/s").prometheus_name == "x_rate_bytes_per_second_total"


def test_grafana_dashboard_parses_and_covers_the_documented_views() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)) and dashboard["uid"]
    datasources = _load_yaml(GRAFANA_DIR / "provisioning" / "datasources" / "datasources.yaml")
    uids = {source["uid"] for source in datasources["datasources"]}
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] in uids, panel["title"]
    queried = set().union(*map(_queried_metrics, _dashboard_expressions()))
    for view in (
        "auth0_log_events_total",  # logins by outcome, failures by type
        "auth0_rate_limit_events_total",
        "auth0_probe_duration_seconds_bucket",
        "auth0_ingest_lag_seconds",
        "otel_auth0_queue_size",
    ):
        assert view in queried
    assert any(name.startswith("auth0_probe_success") for name in queried)
    provider = _load_yaml(GRAFANA_DIR / "provisioning" / "dashboards" / "dashboards.yaml")
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"


@pytest.mark.parametrize("source", ["dashboard", "alerts"])
def test_every_queried_metric_is_emitted_and_documented(source: str, metrics: dict[str, Metric]) -> None:
    expressions = _dashboard_expressions() if source == "dashboard" else _alert_expressions()
    telemetry = TELEMETRY_DOC.read_text(encoding="utf-8")
    for name in set().union(*map(_queried_metrics, expressions)):
        assert name in metrics, f"{source} queries {name}: no instrument in otel_auth0/instruments.py"
        assert _documented(telemetry, metrics[name].name), f"{metrics[name].name} is not in docs/telemetry.md"


@pytest.mark.parametrize("source", ["dashboard", "alerts"])
def test_every_queried_label_is_a_documented_attribute(source: str) -> None:
    expressions = _dashboard_expressions() if source == "dashboard" else _alert_expressions()
    documented = TELEMETRY_DOC.read_text(encoding="utf-8") + (ROOT / "docs" / "configuration.md").read_text()
    for label in set().union(*map(_queried_labels, expressions)) - {"le", "job", "instance"}:
        assert any(_documented(documented, key) for key in _attribute_candidates(label)), (
            f"{source} uses label {label}, which is no documented attribute"
        )


def test_backends_doc_lists_the_prometheus_name_of_every_metric(metrics: dict[str, Metric]) -> None:
    text = BACKENDS_DOC.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z0-9_.]+)` \| `([a-z0-9_]+)` \|", text, re.MULTILINE))
    for metric in set(metrics.values()):
        assert rows.get(metric.name) == metric.prometheus_name, f"docs/backends.md: row for {metric.name}"
