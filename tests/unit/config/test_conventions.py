"""Conventions people know: the Collector's ``${env:VAR}``, the OTel SDK's ``OTEL_*`` resource
variables, the Auth0 CLI's ``AUTH0_*`` variables, and ``otel-auth0 validate``."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from otel_auth0.cli import main as cli_main
from otel_auth0.collector_config import load_config, parse_config
from otel_auth0.commands.probe import build_config
from otel_auth0.commands.scan import _config_from_environment
from otel_auth0.config import ConfigError, substitute_env
from otel_auth0.runtime import resource_attributes


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_collector_env_syntax_with_and_without_default(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "auth0:\n"
        "  domain: ${env:DOMAIN}\n"
        "  client_id: ${env:CLIENT_ID:-fallback-id}\n"
        "  client_secret: ${SECRET}\n"
        "service_name: ${env:EMPTY:-svc}\n",
    )
    config = load_config(path, {"DOMAIN": "t.eu.auth0.com", "SECRET": "s3:#cret", "EMPTY": ""})
    assert config.auth0 is not None
    assert (config.auth0.domain, config.auth0.client_id, config.auth0.client_secret) == (
        "t.eu.auth0.com",
        "fallback-id",
        "s3:#cret",
    )
    assert config.service_name == "svc"


@pytest.mark.parametrize("reference", ["${env:MISSING}", "${MISSING}"])
def test_unset_variable_names_the_key(tmp_path: Path, reference: str) -> None:
    path = _write(tmp_path, f"auth0:\n  domain: {reference}\n")
    with pytest.raises(ConfigError, match=r"^auth0\.domain: environment variable MISSING is not set"):
        load_config(path, {})


@pytest.mark.parametrize("reference", ["${file:/etc/secret}", "${not a name}", "${env:}", "${UNCLOSED"])
def test_unresolvable_reference_is_an_error_naming_the_key(tmp_path: Path, reference: str) -> None:
    path = _write(tmp_path, f"receivers:\n  log_stream:\n    token: 'x{reference}'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert str(caught.value).startswith(f"receivers.log_stream.token: cannot resolve {reference}")


def test_references_in_comments_are_ignored(tmp_path: Path) -> None:
    path = _write(tmp_path, "# ${file:nothing} ${env:NOPE}\nservice_name: x  # ${weird}\n")
    assert load_config(path, {}).service_name == "x"


def test_substitute_env_accepts_both_spellings() -> None:
    env = {"A": "1"}
    assert substitute_env("${A}-${env:A}-${env:B:-2}", env) == "1-1-2"


@pytest.mark.parametrize(
    ("env", "file", "expected"),
    [
        ({}, {}, "auth0"),
        ({"OTEL_SERVICE_NAME": "from-env"}, {}, "from-env"),
        ({"OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs"}, {}, "from-attrs"),
        ({"OTEL_SERVICE_NAME": "a", "OTEL_RESOURCE_ATTRIBUTES": "service.name=b"}, {}, "a"),
        ({"OTEL_SERVICE_NAME": "from-env"}, {"service_name": "from-file"}, "from-file"),
    ],
)
def test_otel_resource_variables_take_precedence_over_the_default(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], file: dict[str, str], expected: str
) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert resource_attributes(parse_config(file))["service.name"] == expected


def test_otel_resource_attributes_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=production")
    assert resource_attributes(parse_config({}))["deployment.environment.name"] == "production"


AUTH0_ENV = {"AUTH0_DOMAIN": "t.us.auth0.com", "AUTH0_CLIENT_ID": "cid", "AUTH0_CLIENT_SECRET": "sec"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("receivers:\n  logs_api: {}\n", ("t.us.auth0.com", "cid", "sec")),
        (
            "auth0:\n  domain: mine.eu.auth0.com\n  client_id: file-id\n",
            ("mine.eu.auth0.com", "file-id", "sec"),
        ),
    ],
    ids=["fill a missing section", "fill only missing keys"],
)
def test_auth0_variables_complete_the_section(
    tmp_path: Path, text: str, expected: tuple[str, str, str]
) -> None:
    config = load_config(_write(tmp_path, text), AUTH0_ENV)
    assert config.auth0 is not None
    assert (config.auth0.domain, config.auth0.client_id, config.auth0.client_secret) == expected


def test_without_auth0_domain_no_section_is_made(tmp_path: Path) -> None:
    path = _write(tmp_path, "service_name: x\n")
    assert load_config(path, {"AUTH0_CLIENT_ID": "cid"}).auth0 is None


def _probe_args(**values: object) -> argparse.Namespace:
    names = ["config", "tenant", "domain", "scheme", "ca_file", "timeout", "client_id", "client_secret"]
    names += [
        "username",
        "password",
        "realm",
        "audience",
        "scope",
        "userinfo",
        "state_dir",
        "otlp_endpoint",
        "otlp_protocol",
    ]
    return argparse.Namespace(**{name: None for name in names} | values)


def test_probe_takes_the_domain_from_auth0_domain(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in AUTH0_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    config, _ = build_config(_probe_args(client_id="probe", username="u", password="p"))
    assert config.auth0 is not None and config.auth0.domain == "t.us.auth0.com"


def test_scan_reads_the_tenant_from_auth0_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTH0_DOMAIN", raising=False)
    assert _config_from_environment() is None
    for name, value in AUTH0_ENV.items():
        monkeypatch.setenv(name, value)
    config = _config_from_environment()
    assert config is not None and config.auth0 is not None
    assert (config.auth0.domain, config.auth0.client_secret) == ("t.us.auth0.com", "sec")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "auth0:\n"
            "  domain: t.us.auth0.com\n"
            "  client_id: a\n"
            "  client_secret: b\n"
            "receivers:\n"
            "  logs_api:\n"
            "    intervall: 10s\n"
            "    take: 500\n"
            "exporter:\n"
            "  otlp: {}\n",
            [
                "7: receivers.logs_api.intervall: unknown key; did you mean interval?",
                "8: receivers.logs_api.take: Input should be less than or equal to 100",
                "9: exporter: unknown key; did you mean exporters?",
            ],
            id="keys-and-values",
        ),
        pytest.param(
            "auth0:\n"
            "  domain: t.us.auth0.com\n"
            "receivers:\n"
            "  status:\n"
            "    interval: 5m\n"
            "  notices:\n"
            "    sdks: [not-a-repo]\n"
            "  logs_apy:\n"
            "    take: 5\n",
            [
                "7: receivers.notices.sdks: give GitHub owner/repo names (auth0/nextjs-auth0), "
                "not not-a-repo",
                "8: receivers.logs_apy: unknown key; did you mean logs_api?",
            ],
            id="unknown-receiver-and-error-inside-a-section",
        ),
    ],
)
def test_validate_reports_each_problem_with_file_line_and_suggestion(
    text: str,
    expected: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AUTH0_DOMAIN", raising=False)
    path = _write(tmp_path, text)
    assert cli_main(["validate", "--config", str(path)]) == 2
    lines = sorted(capsys.readouterr().err.splitlines())
    assert lines == sorted(f"{path}:{line}" for line in expected)


def test_validate_resolves_variables_and_accepts_a_valid_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "auth0:\n  domain: ${env:TEST_VALIDATE_DOMAIN}\nreceivers:\n  status: {}\n")
    monkeypatch.delenv("TEST_VALIDATE_DOMAIN", raising=False)
    assert cli_main(["validate", "--config", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"{path}:2: auth0.domain: environment variable TEST_VALIDATE")
    monkeypatch.setenv("TEST_VALIDATE_DOMAIN", "t.us.auth0.com")
    assert cli_main(["validate", "--config", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: valid"


def test_validate_reports_what_run_would_refuse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "service_name: x\n")
    assert cli_main(["validate", "--config", str(path)]) == 2
    assert "receivers: no receiver is configured" in capsys.readouterr().err


def test_validate_lists_every_unresolved_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_VALIDATE_A", raising=False)
    monkeypatch.delenv("TEST_VALIDATE_B", raising=False)
    path = _write(
        tmp_path,
        "auth0:\n  domain: ${env:TEST_VALIDATE_A}\n  client_id: ${file:/x}\n"
        "service_name: ${TEST_VALIDATE_B}\n",
    )
    assert cli_main(["validate", "--config", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ", 2)[:2] for line in lines] == [
        [f"{path}:2", "auth0.domain"],
        [f"{path}:3", "auth0.client_id"],
        [f"{path}:4", "service_name"],
    ]


def test_a_readiness_only_file_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(
        tmp_path, "auth0: {domain: t.us.auth0.com, client_id: a, client_secret: b}\nreadiness: {}\n"
    )
    assert cli_main(["validate", "--config", str(path)]) == 0
