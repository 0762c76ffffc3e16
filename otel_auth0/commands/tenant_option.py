"""``--tenant NAME`` of the commands that read a collector configuration and act on one tenant: the
option, and the choice made with it as exit code 2 on a name that does not fit the file."""

from __future__ import annotations

import argparse

from otel_auth0.commands.common import EXIT_CONFIG_ERROR, CommandError
from otel_auth0.config import Config
from otel_auth0.tenant_choice import ChosenTenant, TenantChoiceError, every_tenant, one_tenant


def add_tenant_argument(parser: argparse.ArgumentParser, without: str) -> None:
    """Add ``--tenant NAME``; ``without`` says what the command does with a ``tenants:`` file when
    it is left out."""
    parser.add_argument(
        "--tenant",
        metavar="NAME",
        help=f"the tenant of a --config file with a tenants: list (its entry's name); without it, {without}",
    )


def _no_file(args: argparse.Namespace) -> CommandError:
    return CommandError(
        f"--tenant {args.tenant}: needs --config FILE with a tenants: list", EXIT_CONFIG_ERROR
    )


def chosen_tenants(args: argparse.Namespace, config: Config | None) -> list[ChosenTenant]:
    """The tenants of ``--config`` the command acts on in turn (see
    :func:`~otel_auth0.tenant_choice.every_tenant`); without a file, none."""
    if not args.config:
        if args.tenant is not None:
            raise _no_file(args)
        return []
    assert config is not None
    try:
        return every_tenant(config, args.config, args.tenant)
    except TenantChoiceError as error:
        raise CommandError(str(error), EXIT_CONFIG_ERROR) from None


def chosen_tenant(args: argparse.Namespace, config: Config | None) -> ChosenTenant | None:
    """The one tenant of ``--config`` the command acts on (a ``tenants:`` file needs ``--tenant``);
    without a file, None."""
    if not args.config:
        if args.tenant is not None:
            raise _no_file(args)
        return None
    assert config is not None
    try:
        return one_tenant(config, args.config, args.tenant)
    except TenantChoiceError as error:
        raise CommandError(str(error), EXIT_CONFIG_ERROR) from None
