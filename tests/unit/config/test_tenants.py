"""``tenants:``: many tenants in one file — validation (names, paths, keys as ``tenants[1].auth0.domain``
with their line), the single-tenant view of each entry, and the single-tenant form unchanged."""

from __future__ import annotations

import contextvars
import logging
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter, generate_latest

from otel_auth0.cli import main as cli_main
from otel_auth0.collector_config import load_config, parse_config
from otel_auth0.config import ConfigError
from otel_auth0.config.tenants import tenant_view
from otel_auth0.health import HealthModel, QueueState
from otel_auth0.receivers.log_stream_config import LogStreamConfig
from otel_auth0.tenants import (
    CURRENT_TENANT,
    TenantLabelledMetrics,
    TenantLogFilter,
    TenantsHealthModel,
    tenant_attributes,
)


def entry(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "auth0": {"domain": f"{name}.eu.auth0.com", "client_id": "id", "client_secret": "secret"},
        "receivers": {"logs_api": {}, "log_stream": {"listen": "127.0.0.1:8383", "token": f"t-{name}"}},
        **extra,
    }


def problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return [(problem.key, problem.message) for problem in caught.value.problems]


def test_each_tenant_gets_its_own_path_state_and_name() -> None:
    config = parse_config({"state_dir": "/var/lib/o", "tenants": [entry("acme"), entry("globex")]})
    assert config.tenants is not None and config.auth0 is None and not config.receivers
    views = [tenant_view(config, tenant) for tenant in config.tenants]
    streams = [view.receivers.section(LogStreamConfig) for view in views]
    assert [stream.path for stream in streams if stream] == ["/auth0/acme/logs", "/auth0/globex/logs"]
    assert [view.state_dir for view in views] == [
        Path("/var/lib/o/tenants/acme"),
        Path("/var/lib/o/tenants/globex"),
    ]
    assert [view.auth0.tenant for view in views if view.auth0] == ["acme", "globex"]
    assert all(view.telemetry.listen is None and view.tenants is None for view in views)
    assert config.telemetry.listen == "127.0.0.1:9464"  # the shared server is the file's


def test_a_tenant_keeps_its_configured_path_tenant_service_name_and_detections() -> None:
    acme = entry("acme", service_name="auth0-acme", detections={"enabled": False})
    acme["auth0"]["tenant"] = "acme-real"
    acme["receivers"]["log_stream"]["path"] = "/hooks/acme"
    config = parse_config({"service_name": "shared", "tenants": [acme, entry("globex")]})
    assert config.tenants is not None
    acme_view, globex_view = (tenant_view(config, tenant) for tenant in config.tenants)
    stream = acme_view.receivers.section(LogStreamConfig)
    assert stream is not None and stream.path == "/hooks/acme"
    assert acme_view.auth0 is not None and acme_view.auth0.tenant == "acme-real"
    assert (acme_view.service_name, globex_view.service_name) == ("auth0-acme", "shared")
    assert not acme_view.processors.detections.enabled and globex_view.processors.detections.enabled


def test_resource_names_the_tenant_and_its_attributes_cannot_hide_it() -> None:
    acme = entry(
        "acme", resource_attributes={"auth0.domain": "spoofed", "deployment.environment.name": "prod"}
    )
    bare = {"name": "bare", "receivers": {"log_stream": {"listen": "127.0.0.1:8383", "token": "t"}}}
    config = parse_config({"tenants": [acme, bare]})
    assert config.tenants is not None
    acme_attributes, bare_attributes = (tenant_attributes(tenant_view(config, t), t) for t in config.tenants)
    assert acme_attributes["auth0.tenant.name"] == "acme"
    assert acme_attributes["auth0.domain"] == "acme.eu.auth0.com"
    assert acme_attributes["deployment.environment.name"] == "prod"
    assert bare_attributes["auth0.tenant.name"] == "bare" and "auth0.domain" not in bare_attributes


def test_duplicate_names_and_paths_are_errors() -> None:
    same_path = entry("globex")
    same_path["receivers"]["log_stream"]["path"] = "/auth0/acme/logs"
    found = problems({"tenants": [entry("acme"), same_path, entry("acme")]})
    assert ("tenants[2].name", "duplicate tenant name 'acme' (also tenants[0].name)") in found
    assert (
        "tenants[1].receivers.log_stream.path",
        "/auth0/acme/logs on 127.0.0.1:8383 is already tenants[0]'s Log Stream; "
        "give each tenant its own path",
    ) in found


def test_the_same_path_on_another_address_is_fine_but_one_listener_needs_one_setting() -> None:
    elsewhere = entry("globex")
    elsewhere["receivers"]["log_stream"].update(listen="127.0.0.1:8384", path="/auth0/acme/logs")
    parse_config({"tenants": [entry("acme"), elsewhere]})
    different = entry("globex")
    different["receivers"]["log_stream"]["max_connections"] = 64
    assert [key for key, _ in problems({"tenants": [entry("acme"), different]})] == [
        "tenants[1].receivers.log_stream.max_connections"
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"tenants": []}, [("tenants", "lists no tenant; give at least one, or remove the key")]),
        (
            {"auth0": {"domain": "x.us.auth0.com"}, "receivers": {"status": {}}, "tenants": [entry("a")]},
            [
                ("auth0", "cannot be combined with tenants; move it into each tenant"),
                ("receivers", "cannot be combined with tenants; move it into each tenant"),
            ],
        ),
        (
            {"tenants": [{"name": "a", "receivers": {"logs_api": {}}}]},
            [("tenants[0].auth0", "required when receivers.logs_api is on")],
        ),
        (
            {"tenants": [{"name": "../etc"}]},
            [("tenants[0].name", "String should match pattern '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'")],
        ),
        ({"tenants": [{"receivers": {}}]}, [("tenants[0].name", "required key is missing")]),
    ],
)
def test_tenant_problems_name_their_key(data: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert problems(data) == expected


def test_on_postgres_each_tenant_keeps_its_state_in_a_schema_of_its_own() -> None:
    long_names = ["x" * 60 + "a", "x" * 60 + "b"]
    data = {
        "state": {"backend": "postgres", "dsn": "postgresql://u@127.0.0.1/db"},
        "tenants": [entry("acme"), entry("globex"), *(entry(name) for name in long_names)],
    }
    config = parse_config(data)
    assert config.tenants is not None
    schemas = [tenant_view(config, tenant).state.schema_name for tenant in config.tenants]
    assert schemas[:2] == ["otel_auth0_acme", "otel_auth0_globex"]
    assert len(set(schemas)) == 4 and all(s is not None and len(s) <= 63 for s in schemas)
    data["state"]["schema"] = "collector"
    assert tenant_view(parse_config(data), config.tenants[0]).state.schema_name == "collector_acme"
    # The SQLite default keeps no schema.
    sqlite = parse_config({"tenants": [entry("acme")]})
    assert tenant_view(sqlite, config.tenants[0]).state.schema_name is None


def test_validate_reports_tenant_keys_with_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTH0_DOMAIN", "from-env.us.auth0.com")  # fills nothing in a tenants file
    path = tmp_path / "config.yaml"
    path.write_text(
        "tenants:\n"
        "  - name: acme\n"
        "    auth0: {client_id: x}\n"
        "    receivers: {status: {}}\n"
        "  - name: globex\n"
        "    auth0:\n"
        "      domian: globex.us.auth0.com\n"
        "    receivers: {status: {}}\n",
        encoding="utf-8",
    )
    assert cli_main(["validate", "--config", str(path)]) == 2
    assert sorted(capsys.readouterr().err.splitlines()) == [
        f"{path}:3: tenants[0].auth0.domain: required key is missing",
        f"{path}:6: tenants[1].auth0.domain: required key is missing",
        f"{path}:7: tenants[1].auth0.domian: unknown key; did you mean domain?",
    ]


def test_validate_reports_a_tenant_without_receivers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "tenants:\n  - name: acme\n  - name: globex\n    receivers: {log_stream: {token: t}}\n",
        encoding="utf-8",
    )
    assert cli_main(["validate", "--config", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{path}:2: tenants[0].receivers: no receiver is configured (`run` would refuse to start)"
    ]


def test_single_tenant_form_is_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH0_DOMAIN", "from-env.us.auth0.com")
    path = tmp_path / "config.yaml"
    path.write_text("receivers:\n  status: {}\n  log_stream: {token: t}\n", encoding="utf-8")
    config = load_config(path)
    assert config.tenants is None
    assert config.auth0 is not None and config.auth0.domain == "from-env.us.auth0.com"
    stream = config.receivers.section(LogStreamConfig)
    assert stream is not None and (stream.listen, stream.path) == ("127.0.0.1:8383", "/auth0/logs")
    assert config.state_dir == Path(".otel-auth0")
    assert "tenants" not in config.model_dump(exclude_defaults=True)
    with pytest.raises(ConfigError) as caught:
        parse_config({"receivers": {"logs_api": {"take": 500}}, "auth0": {"domain": "x.us.auth0.com"}})
    assert [problem.key for problem in caught.value.problems] == ["receivers.logs_api.take"]


def test_metrics_of_every_tenant_carry_its_label() -> None:
    labelled = TenantLabelledMetrics()
    for tenant, count in (("acme", 2), ("globex", 5)):
        registry = CollectorRegistry()
        Counter("otel_auth0_receiver_requests", "requests", ["code"], registry=registry).labels("200").inc(
            count
        )
        labelled.add(tenant, registry)
    exposed = CollectorRegistry(auto_describe=False)
    exposed.register(labelled)
    text = generate_latest(exposed).decode()
    assert text.count("# TYPE otel_auth0_receiver_requests_total counter") == 1
    assert 'otel_auth0_receiver_requests_total{auth0_tenant="acme",code="200"} 2.0' in text
    assert 'otel_auth0_receiver_requests_total{auth0_tenant="globex",code="200"} 5.0' in text


class _Facts:
    def __init__(self, size: int) -> None:
        self.size = size

    def exporters(self) -> list[Any]:
        return []

    def receivers(self) -> list[Any]:
        return []

    def queue(self) -> QueueState:
        return QueueState(self.size, 10)


def test_readiness_reasons_name_the_tenant() -> None:
    config = parse_config({"tenants": [entry("acme")]}).telemetry.health
    tenants = [("acme", HealthModel(config, _Facts(0))), ("globex", HealthModel(config, _Facts(9)))]
    reasons = TenantsHealthModel(config, tenants).reasons()
    assert reasons == ["tenant globex: queue holds 9 of 10 records, above the high-water mark (80%)"]


def test_log_lines_in_a_tenants_context_name_it() -> None:
    def record() -> logging.LogRecord:
        return logging.LogRecord("x", logging.WARNING, __file__, 1, "token request answered %d", (401,), None)

    log_filter = TenantLogFilter()
    outside = record()
    assert log_filter.filter(outside) and outside.getMessage() == "token request answered 401"
    context = contextvars.copy_context()
    context.run(CURRENT_TENANT.set, "globex")
    inside = record()
    assert context.run(log_filter.filter, inside) and context.run(log_filter.filter, inside)
    assert inside.getMessage() == "tenant globex: token request answered 401"  # once, whatever the handlers
