"""Which tenant of a configuration a command acts on (``--tenant NAME``): in the single-tenant form the
file itself, in the ``tenants:`` form the single-tenant view of the entry named
(:func:`~otel_auth0.config.tenants.tenant_view`, as ``run`` serves it), or every entry in turn."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from otel_auth0.config import Config
from otel_auth0.config.collector import TenantConfig
from otel_auth0.config.tenants import tenant_view


class TenantChoiceError(Exception):
    """The tenant asked for does not fit the file; the message says why and what to do, in one line."""


@dataclass(frozen=True)
class ChosenTenant:
    """One tenant to act on: its name in ``tenants:`` (None in the single-tenant form), its
    single-tenant configuration, and its entry (None in the single-tenant form)."""

    name: str | None
    config: Config
    entry: TenantConfig | None = None

    def label(self) -> str:
        """``tenant acme: `` before a line about a ``tenants:`` entry; empty in the single-tenant form."""
        return f"tenant {self.name}: " if self.name is not None else ""


def tenant_names(config: Config) -> list[str]:
    """The names of the file's ``tenants:`` entries, in file order (empty in the single-tenant form)."""
    return [tenant.name for tenant in config.tenants or []]


def every_tenant(
    config: Config, source: Path | str, name: str | None = None, flag: str = "--tenant"
) -> list[ChosenTenant]:
    """The tenants a command that can act on each in turn acts on: the file itself in the single-tenant
    form, the entry ``name`` names, else every entry of ``tenants:``. :class:`TenantChoiceError` when
    ``name`` is given with a single-tenant file (``source``) or names no entry."""
    if config.tenants is None:
        if name is not None:
            raise TenantChoiceError(
                f"{flag} {name}: {source} has no tenants: list (it configures one tenant, in auth0:); "
                f"leave out {flag}"
            )
        return [ChosenTenant(None, config)]
    if name is None:
        return [ChosenTenant(entry.name, tenant_view(config, entry), entry) for entry in config.tenants]
    for entry in config.tenants:
        if entry.name == name:
            return [ChosenTenant(entry.name, tenant_view(config, entry), entry)]
    names = tenant_names(config)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    suggestion = close[0] if close else f"one of {', '.join(names)}"
    raise TenantChoiceError(f"{flag} {name}: {source} lists no such tenant; did you mean {suggestion}?")


def one_tenant(
    config: Config, source: Path | str, name: str | None = None, flag: str = "--tenant"
) -> ChosenTenant:
    """The one tenant a command that acts on a single tenant acts on: as :func:`every_tenant`, and a
    ``tenants:`` file without ``name`` is a :class:`TenantChoiceError` listing the names."""
    chosen = every_tenant(config, source, name, flag)
    if len(chosen) > 1 or (name is None and config.tenants is not None):
        names = tenant_names(config)
        count = f"{len(names)} tenant" + ("s" if len(names) != 1 else "")
        raise TenantChoiceError(f"{source} lists {count} ({', '.join(names)}): choose one with {flag} NAME")
    return chosen[0]
