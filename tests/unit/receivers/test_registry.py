"""The receiver registry is the configuration's list of receivers: one factory per key under
``receivers:``, each with its own section type defined beside the receiver; importing any receiver
module first (before the configuration) makes no import cycle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from otel_auth0.config import ReceiverSettings
from otel_auth0.config.receivers import PeriodicSettings, section_types
from otel_auth0.receivers.periodic import PeriodicReceiver
from otel_auth0.receivers.registry import RECEIVERS

ROOT = Path(__file__).resolve().parents[3]


def test_every_factory_is_keyed_by_its_name_and_has_its_own_section_type() -> None:
    config_types = [factory.config_type for factory in RECEIVERS.values()]
    assert len(set(config_types)) == len(config_types), "two receivers share a section type"
    for name, factory in RECEIVERS.items():
        assert factory.name == name
        assert issubclass(factory.config_type, ReceiverSettings)
        assert isinstance(factory.default_config(), factory.config_type)
    assert section_types(RECEIVERS) == {name: factory.config_type for name, factory in RECEIVERS.items()}


def test_the_tenant_requirement_is_declared_by_each_section() -> None:
    needs_tenant = {name for name, factory in RECEIVERS.items() if factory.config_type.needs_tenant}
    assert needs_tenant == {"logs_api", "login_probe", "endpoint_check", "status"}


def test_periodic_receivers_declare_their_interval_for_the_staleness_check() -> None:
    periodic = {
        name for name, factory in RECEIVERS.items() if issubclass(factory.config_type, PeriodicSettings)
    }
    assert periodic == {"logs_api", "login_probe", "endpoint_check", "status", "notices"}
    assert {name: RECEIVERS[name].default_config().interval for name in sorted(periodic)} == {
        "endpoint_check": 60.0,
        "login_probe": 60.0,
        "logs_api": 10.0,
        "notices": 3600.0,
        "status": 300.0,
    }


def test_the_periodic_receivers_share_the_schedules_run_loop() -> None:
    """Each states its schedule and one tick; the logs poller keeps its own run (it resumes a cursor
    and waits out a stored rate-limit budget before its schedule starts)."""
    shared = {
        name
        for name, factory in RECEIVERS.items()
        if isinstance(factory.create, type) and issubclass(factory.create, PeriodicReceiver)
    }
    assert shared == {"login_probe", "endpoint_check", "status", "notices"}
    for name in shared:
        receiver_type = RECEIVERS[name].create
        assert isinstance(receiver_type, type) and "shutdown" not in vars(receiver_type)


def _modules() -> list[str]:
    """Every module that defines a receiver or its section, the registry and the receiver contract."""
    defining = {factory.config_type.__module__ for factory in RECEIVERS.values()}
    defining |= {getattr(factory.create, "__module__", "") for factory in RECEIVERS.values()}
    return sorted(defining | {"otel_auth0.receivers.registry", "otel_auth0.receivers.base"})


# Validates a file that turns every receiver on, so the registry is looked up after the module above.
_PROGRAM = """
import importlib, sys
importlib.import_module(sys.argv[1])
from otel_auth0.collector_config import parse_config
config = parse_config({
    "auth0": {"domain": "t.us.auth0.com", "client_id": "c", "client_secret": "s"},
    "receivers": {"logs_api": {}, "log_stream": {"token": "t"}, "endpoint_check": {}, "status": {},
                  "notices": {}, "login_probe": {"client_id": "c", "username": "u", "password": "p"}},
})
print(",".join(config.receivers))
"""


@pytest.mark.parametrize("module", _modules())
def test_a_receiver_module_imported_first_makes_no_import_cycle(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROGRAM, module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "logs_api,log_stream,login_probe,endpoint_check,status,notices"
