"""Configuration loading: substitution, defaults, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from otel_auth0.collector_config import load_config, parse_config
from otel_auth0.config import ConfigError, parse_duration, substitute_env
from otel_auth0.receivers.log_stream_config import LogStreamConfig
from otel_auth0.receivers.login_probe import LoginProbeConfig
from otel_auth0.receivers.logs_api_config import LogsApiConfig


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_env_substitution_with_defaults() -> None:
    env = {"DOMAIN": "t.us.auth0.com", "EMPTY": ""}
    assert substitute_env("${DOMAIN}", env) == "t.us.auth0.com"
    assert substitute_env("${MISSING:-fallback}", env) == "fallback"
    assert substitute_env("${EMPTY:-fallback}", env) == "fallback"
    with pytest.raises(ConfigError, match="MISSING is not set"):
        substitute_env("${MISSING}", env)


def test_full_example_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
auth0:
  domain: ${AUTH0_DOMAIN}
  client_id: ${AUTH0_CLIENT_ID}
  client_secret: ${AUTH0_CLIENT_SECRET}
  scheme: https
  ca_file: null
state_dir: .otel-auth0
service_name: auth0
receivers:
  logs_api:   {interval: 10s, take: 100, start_from: latest}
  log_stream: {listen: 127.0.0.1:8383, path: /auth0/logs, token: ${AUTH0_LOG_STREAM_TOKEN}}
exporters:
  otlp: {endpoint: "http://127.0.0.1:4318", protocol: http/protobuf}
  file: {path: out.jsonl}
""",
    )
    env = {
        "AUTH0_DOMAIN": "tenant.us.auth0.com",
        "AUTH0_CLIENT_ID": "id",
        "AUTH0_CLIENT_SECRET": "secret",
        "AUTH0_LOG_STREAM_TOKEN": "tok",
    }
    config = load_config(path, env)
    assert config.auth0 is not None and config.auth0.base_url == "https://tenant.us.auth0.com"
    assert config.auth0.tenant_name == "tenant"
    logs_api, log_stream = config.receivers.section(LogsApiConfig), config.receivers.section(LogStreamConfig)
    assert logs_api is not None and logs_api.interval == 10.0
    assert log_stream is not None and log_stream.token == "tok"
    assert config.exporters.otlp is not None and config.exporters.file is not None


def test_file_exporter_is_the_default() -> None:
    config = parse_config({})
    assert config.exporters.file is not None
    assert config.exporters.file.path == Path("otel-auth0-telemetry.jsonl")


def test_present_key_without_value_switches_a_receiver_on() -> None:
    config = parse_config(
        {"auth0": {"domain": "a.b", "client_id": "i", "client_secret": "s"}, "receivers": {"logs_api": None}}
    )
    logs_api = config.receivers.section(LogsApiConfig)
    assert logs_api is not None and logs_api.take == 100


def test_receiver_sections_are_typed_and_dump_back_to_the_same_configuration() -> None:
    config = parse_config(
        {
            "auth0": {"domain": "a.b", "client_id": "i", "client_secret": "s"},
            "receivers": {"log_stream": {"token": "t"}, "logs_api": {"take": 50}},
        }
    )
    assert list(config.receivers) == ["logs_api", "log_stream"]  # registry order
    assert config.receivers.section(LoginProbeConfig) is None
    assert isinstance(config.receivers["log_stream"], LogStreamConfig)
    dumped = config.model_dump(mode="python", exclude_none=True, by_alias=True)
    assert dumped["receivers"]["logs_api"]["take"] == 50
    assert dumped["receivers"]["log_stream"]["token"] == "t"
    assert parse_config(dumped).model_dump() == config.model_dump()
    from_json = parse_config(config.model_dump(mode="json"))
    assert from_json.model_dump()["receivers"] == config.model_dump()["receivers"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "auth0": {"domain": "a.b", "client_id": "i", "client_secret": "s"},
                "receivers": {"logs_api": {"take": 500}},
            },
            "receivers.logs_api.take: Input should be less than or equal to 100",
        ),
        ({"auth0": {"domain": "a.b"}, "recievers": {}}, "recievers: unknown key"),
        ({"auth0": {"domain": "https://a.b"}}, "auth0.domain: give the bare domain"),
        ({"auth0": {"domain": "a.b", "scheme": "ftp"}}, "auth0.scheme"),
        ({"receivers": {"logs_api": {}}}, "auth0: required when receivers.logs_api is on"),
        (
            {"auth0": {"domain": "a.b"}, "receivers": {"logs_api": {}}},
            "auth0.client_id: required by receivers.logs_api",
        ),
        (
            {
                "auth0": {"domain": "a.b", "client_id": "i", "client_secret": "s"},
                "receivers": {"logs_api": {"interval": "soon"}},
            },
            "receivers.logs_api.interval",
        ),
        (
            {
                "auth0": {"domain": "a.b", "client_id": "i", "client_secret": "s"},
                "receivers": {"logs_api": {"start_from": "yesterday"}},
            },
            "receivers.logs_api.start_from: must be latest",
        ),
        ({"receivers": {"log_stream": {"listen": "8383"}}}, "receivers.log_stream.listen: must be HOST:PORT"),
        ({"processors": {"redact": {"fields": ["user.email"], "method": "hash"}}}, "salt"),
    ],
)
def test_errors_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert message in str(caught.value)


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read configuration file"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "auth0: [unclosed"))
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(write(tmp_path, "- just\n- a list\n"))


def test_missing_env_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "auth0:\n  domain: ${NOPE_NOT_SET}\n# a comment with ${ALSO_NOT_SET} is ignored\n")
    with pytest.raises(ConfigError, match=r"auth0.domain: environment variable NOPE_NOT_SET is not set"):
        load_config(path, {})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10s", 10.0), ("500ms", 0.5), ("5m", 300.0), ("2h", 7200.0), ("7d", 604800.0), (3, 3.0), ("1.5", 1.5)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "-1s", True, "10 parsecs"])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_values_with_yaml_syntax_cannot_change_the_structure(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "auth0: {domain: ${D}, client_id: ${I}, client_secret: ${S}}\nstate_dir: ${DIR:-/var/lib/x}\n",
    )
    config = load_config(path, {"D": "t.eu.auth0.com", "I": "id", "S": "p: #{weird}, 'x'"})
    assert config.auth0 is not None and config.auth0.client_secret == "p: #{weird}, 'x'"
    assert config.state_dir == Path("/var/lib/x")
