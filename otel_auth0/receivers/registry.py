"""Every receiver kind, keyed by its section name under ``receivers:``. Adding a receiver is one new
module exposing ``FACTORY`` (its section type beside it) and one line here; the configuration takes the
allowed keys and their types from this registry (:mod:`otel_auth0.config.receivers`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from otel_auth0.config import Auth0Config, ReceiversConfig
from otel_auth0.instruments import Instruments
from otel_auth0.receivers import (
    endpoint_check,
    event_stream,
    log_stream,
    login_probe,
    logs_api,
    notices,
    status,
)
from otel_auth0.receivers.base import Receiver, ReceiverFactory, ReceiverIntake, Services
from otel_auth0.receivers.shared_listener import SharedStreamListener
from otel_auth0.receivers.stream_progress import StreamProgress

Registry = Mapping[str, ReceiverFactory[Any]]

RECEIVERS: Registry = {
    factory.name: factory
    for factory in (
        logs_api.FACTORY,
        log_stream.FACTORY,
        login_probe.FACTORY,
        endpoint_check.FACTORY,
        status.FACTORY,
        notices.FACTORY,
        event_stream.FACTORY,
    )
}


def build_receivers(
    receivers: ReceiversConfig,
    auth0: Auth0Config | None,
    intake: ReceiverIntake,
    instruments: Instruments,
    registry: Registry = RECEIVERS,
    state_dir: Path | None = None,
    listener: SharedStreamListener | None = None,
) -> list[tuple[Receiver, Services]]:
    """A receiver (with the services it was given) for every section present under ``receivers:``
    (a Log Stream on ``listener`` when given: a listener shared by several tenants).
    ``receivers`` must have been validated against ``registry``: a section without a factory of its
    type is a ValueError."""
    strays = [
        name
        for name, settings in receivers.items()
        if name not in registry or not isinstance(settings, registry[name].config_type)
    ]
    if strays:
        raise ValueError(f"receivers: no factory in the registry for {', '.join(strays)}")
    progress = StreamProgress() if log_stream.FACTORY.name in receivers else None
    built: list[tuple[Receiver, Services]] = []
    for name, factory in registry.items():
        settings = receivers.get(name)
        if settings is None:
            continue
        services = Services(
            name,
            intake,
            instruments,
            auth0=auth0,
            stream_progress=progress,
            state_dir=state_dir,
            listener=listener,
        )
        built.append((factory.create(settings, services), services))
    return built
