"""Collector configuration sections and the login probe for a running simulator (``running_simulator``)."""

from __future__ import annotations

from pathlib import Path

from otel_auth0.auth0.probe import LoginProbe, ProbeSettings
from otel_auth0_sim.process import SimulatorHandle


def auth0_section(sim: SimulatorHandle) -> dict[str, str]:
    """``auth0:`` with the tenant's Management API client and its CA."""
    info = sim.info
    return {
        "domain": info["domain"],
        "client_id": info["client_id"],
        "client_secret": info["client_secret"],
        "ca_file": info["ca_file"],
    }


def login_probe_section(sim: SimulatorHandle, password: str | None = None) -> dict[str, str]:
    """``receivers.login_probe`` as the first test user (with ``password`` instead of theirs if given)."""
    info = sim.info
    user = info["test_users"][0]
    return {
        "client_id": info["probe_client"]["client_id"],
        "client_secret": info["probe_client"]["client_secret"],
        "username": user["username"],
        "password": user["password"] if password is None else password,
        "realm": info["realm"],
    }


def notices_urls(sim: SimulatorHandle, *, advisories: bool = False) -> dict[str, str]:
    """``receivers.notices`` URLs of the simulator's changelog and IP ranges (and, with ``advisories``,
    its security bulletins and SDK advisories)."""
    urls = {
        "changelog_url": f"{sim.base_url}/feeds/changelog.rss",
        "ip_ranges_url": f"{sim.base_url}/ip-ranges.json",
    }
    if advisories:
        urls["security_bulletins_url"] = f"{sim.base_url}/security-bulletins"
        urls["sdk_advisories_url"] = f"{sim.base_url}/sdk-advisories/{{sdk}}"
    return urls


def login_probe(sim: SimulatorHandle) -> LoginProbe:
    """The synthetic login of the first test user against ``sim``."""
    info = sim.info
    user = info["test_users"][0]
    settings = ProbeSettings(
        sim.base_url,
        info["probe_client"]["client_id"],
        user["username"],
        user["password"],
        info["probe_client"]["client_secret"],
        ca_file=Path(info["ca_file"]),
    )
    return LoginProbe(settings)
