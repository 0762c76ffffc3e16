"""``otel-auth0 probe``: one synthetic login, now. Exit 0 = login ok, 1 = login failed (or blocked by
the credential guard), 2 = configuration error. ``--json`` prints a machine-readable result.

Values come from ``--config FILE`` (``auth0`` and ``receivers.login_probe``) and/or flags (flags win),
so it runs without a file. With a ``tenants:`` file, ``--tenant NAME`` names the tenant (its ``auth0``,
``receivers.login_probe``, state and resource, as ``run`` probes it). The trace, log record and metrics
are exported when an OTLP endpoint is known (``--otlp-endpoint``, ``exporters.otlp`` in the file, or
``OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT``). The credential-failure count is kept in ``state_dir`` so
repeated runs stop before a lockout too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from otel_auth0.auth0.probe import ProbeResult
from otel_auth0.collector_config import parse_config
from otel_auth0.commands.common import config_error, load_or_exit, setup_logging
from otel_auth0.commands.tenant_option import add_tenant_argument, chosen_tenant
from otel_auth0.config import Config, ConfigError, fill_auth0_from_env
from otel_auth0.receivers.base import Services
from otel_auth0.receivers.login_probe import FACTORY, LoginProbeConfig, ProbeRunner, probe_settings
from otel_auth0.runtime import Pipeline
from otel_auth0.tenant_choice import ChosenTenant
from otel_auth0.tenants import tenant_attributes

PASSWORD_ENV = "AUTH0_PROBE_PASSWORD"
EXPORT_DEADLINE = 15.0
# flag -> (section, key)
_FLAGS = {
    "domain": ("auth0", "domain"),
    "scheme": ("auth0", "scheme"),
    "ca_file": ("auth0", "ca_file"),
    "timeout": ("auth0", "timeout"),
    "client_id": ("login_probe", "client_id"),
    "client_secret": ("login_probe", "client_secret"),
    "username": ("login_probe", "username"),
    "password": ("login_probe", "password"),
    "realm": ("login_probe", "realm"),
    "audience": ("login_probe", "audience"),
    "scope": ("login_probe", "scope"),
    "userinfo": ("login_probe", "userinfo"),
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``probe``."""
    parser = subparsers.add_parser(
        "probe",
        help="run one synthetic login (password grant + ID-token validation); exit 0 ok, 1 failed, 2 config",
        description="Log in once with the Resource Owner Password grant, validate the ID token against the "
        "tenant's JWKS and optionally call /userinfo. Values come from --config and/or the flags "
        "(flags win). "
        f"The password may also be given in ${PASSWORD_ENV}. Exit 0 = login ok, 1 = failed or blocked after "
        "repeated credential failures, 2 = configuration error.",
    )
    parser.add_argument(
        "--config", "-c", metavar="FILE", help="YAML configuration (auth0, receivers.login_probe)"
    )
    add_tenant_argument(parser, "a file with a tenants: list is refused (each login is one tenant's)")
    parser.add_argument("--domain", help="tenant domain without scheme, e.g. tenant.us.auth0.com")
    parser.add_argument(
        "--scheme", choices=("https", "http"), help="https (default) or http for a local simulator"
    )
    parser.add_argument("--ca-file", type=Path, help="extra CA bundle (PEM) to trust for the tenant")
    parser.add_argument("--timeout", help="timeout of each request, e.g. 10s")
    parser.add_argument("--client-id", help="application with the Password grant enabled")
    parser.add_argument("--client-secret", help="its secret (omit for a public client)")
    parser.add_argument("--username", help="the test user")
    parser.add_argument("--password", help=f"its password (default: ${PASSWORD_ENV})")
    parser.add_argument("--realm", help="connection name: use the password-realm grant")
    parser.add_argument("--audience", help="API audience to request")
    parser.add_argument("--scope", help="scopes (default: openid profile email)")
    parser.add_argument("--userinfo", action="store_true", default=None, help="also call /userinfo")
    parser.add_argument(
        "--state-dir", type=Path, help="where the credential-failure count is kept (.otel-auth0)"
    )
    parser.add_argument(
        "--otlp-endpoint", help="export the probe's trace, log and metrics to this OTLP endpoint"
    )
    parser.add_argument(
        "--otlp-protocol", choices=("grpc", "http/protobuf"), help="OTLP protocol (http/protobuf)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    parser.set_defaults(func=main)


def _env_otlp() -> bool:
    return any(
        os.environ.get(name) for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def file_tenant(args: argparse.Namespace) -> ChosenTenant | None:
    """The tenant of ``--config`` (``--tenant`` of a ``tenants:`` file); None without a file."""
    return chosen_tenant(args, load_or_exit(args.config) if args.config else None)


def build_config(args: argparse.Namespace, tenant: ChosenTenant | None = None) -> tuple[Config, bool]:
    """The configuration of this run and whether to export; a configuration error (exit 2) on problems.
    ``tenant``: the tenant of ``--config`` when :func:`file_tenant` already chose it."""
    data: dict[str, Any] = {}
    export = False
    if tenant is None:
        tenant = file_tenant(args)
    if tenant is not None:
        loaded = tenant.config
        data = loaded.model_dump(mode="python", exclude_none=True, by_alias=True)
        export = loaded.exporters.otlp is not None
        data["exporters"] = {"otlp": data["exporters"]["otlp"]} if export else {}
    receivers = data.get("receivers") or {}
    sections: dict[str, dict[str, Any]] = {
        "auth0": dict(data.get("auth0") or {}),
        "login_probe": dict(receivers.get("login_probe") or {}),
    }
    if args.password is None and os.environ.get(PASSWORD_ENV):
        args.password = os.environ[PASSWORD_ENV]
    for flag, (section, key) in _FLAGS.items():
        value = getattr(args, flag)
        if value is not None:
            sections[section][key] = value
    if args.otlp_endpoint or args.otlp_protocol:
        otlp = dict((data.get("exporters") or {}).get("otlp") or {})
        if args.otlp_endpoint:
            otlp["endpoint"] = args.otlp_endpoint
        if args.otlp_protocol:
            otlp["protocol"] = args.otlp_protocol
        data["exporters"] = {"otlp": otlp}
        export = True
    elif not export and _env_otlp():
        data["exporters"] = {"otlp": {}}
        export = True
    if args.state_dir is not None:
        data["state_dir"] = args.state_dir
    label = tenant.label() if tenant is not None else ""
    if label:  # AUTH0_* fill nothing of a tenants: entry (configuration.md#tenants)
        data["auth0"] = sections["auth0"]
    else:
        data["auth0"] = fill_auth0_from_env({"auth0": sections["auth0"]})["auth0"]
    data["receivers"] = {"login_probe": sections["login_probe"]}
    if not data["auth0"].get("domain"):
        raise config_error(f"{label}--domain (or auth0.domain in --config, or AUTH0_DOMAIN) is required")
    try:
        config = parse_config(data)
    except ConfigError as error:
        raise config_error(label + _flag_names(str(error))) from None
    return config, export


def _flag_names(message: str) -> str:
    """Mention the flag next to the configuration key it sets."""
    return message.replace(
        "receivers.login_probe: ", "receivers.login_probe (flags --client-id/--username/--password): "
    )


def _summary(result: ProbeResult | str) -> str:
    if isinstance(result, str):
        return f"login probe {result}"
    steps = ", ".join(f"{step.name} {step.duration:.3f}s" for step in result.steps)
    if result.ok:
        return f"login ok in {result.duration:.3f}s ({steps})"
    return f"login failed: {result.error_type}: {result.message} ({steps})"


def main(args: argparse.Namespace) -> int:
    """Entry point of ``probe``."""
    setup_logging(args.verbose)
    tenant = file_tenant(args)
    config, export = build_config(args, tenant)
    attributes = None
    if tenant is not None and tenant.entry is not None:
        attributes = tenant_attributes(config, tenant.entry)  # the resource `run` gives this tenant
    try:
        pipeline = Pipeline.create(config, export=export, attributes=attributes)
    except (ConfigError, ValueError, OSError) as error:
        raise config_error(error) from None
    probe_config = config.receivers.section(LoginProbeConfig)
    assert config.auth0 is not None and probe_config is not None
    services = Services(
        FACTORY.name, pipeline.intake, pipeline.instruments, auth0=config.auth0, state_dir=config.state_dir
    )
    runner = ProbeRunner(services, probe_settings(config.auth0, probe_config), probe_config, emit=export)
    pipeline.start()
    try:
        outcome = asyncio.run(runner.run_once())
    finally:
        drained = pipeline.drain_and_close(EXPORT_DEADLINE)
    if not drained:
        print(
            "otel-auth0: the probe's telemetry could not be exported in time; it stays queued",
            file=sys.stderr,
        )
    ok = isinstance(outcome, ProbeResult) and outcome.ok
    if args.json:
        body = outcome.as_json() if isinstance(outcome, ProbeResult) else {"ok": False, "blocked": outcome}
        body["exported"] = export and drained
        if tenant is not None and tenant.name is not None:
            body["tenant"] = tenant.name
        print(json.dumps(body, indent=2))
    else:
        print(f"{tenant.label() if tenant else ''}{_summary(outcome)}")
    return 0 if ok else 1
