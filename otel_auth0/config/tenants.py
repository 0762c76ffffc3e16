"""``tenants:``: many tenants in one file. What a tenants list may not contain (:func:`tenant_problems`,
checked after the models validated) and the single-tenant configuration each entry stands for
(:func:`tenant_view`): the entry's ``auth0:``, receivers, service name and detections over the file's
shared sections, with its own state under ``state_dir/tenants/<name>`` (with PostgreSQL: in its own
schema)."""

from __future__ import annotations

import hashlib

from otel_auth0.config.base import Problem
from otel_auth0.config.collector import Config, TenantConfig
from otel_auth0.config.receivers import ReceiversConfig, ReceiverSettings

LOG_STREAM = "log_stream"
# Keys of a Log Stream section that belong to its listener, which tenants on one address share.
LISTENER_KEYS = ("max_connections", "header_timeout")


def tenant_key(index: int, key: str = "") -> str:
    """``tenants[1]`` or ``tenants[1].auth0.domain``: where a tenant's problem is."""
    return f"tenants[{index}]" + (f".{key}" if key else "")


def stream_path(tenant: TenantConfig, settings: ReceiverSettings) -> str:
    """The Log Stream path of ``tenant``: its configured ``path``, else ``/auth0/<name>/logs``."""
    if "path" in settings.model_fields_set:
        return str(getattr(settings, "path", ""))
    return f"/auth0/{tenant.name}/logs"


def tenant_problems(config: Config) -> list[Problem]:
    """What is wrong with ``tenants:`` beyond each field's own validation (empty: nothing)."""
    if config.tenants is None:
        return []
    problems: list[Problem] = []
    if not config.tenants:
        problems.append(Problem("tenants", "lists no tenant; give at least one, or remove the key"))
    for key in ("auth0", "receivers"):
        if key in config.model_fields_set and getattr(config, key):
            problems.append(Problem(key, "cannot be combined with tenants; move it into each tenant"))
    names: dict[str, int] = {}
    listeners: dict[str, tuple[int, ReceiverSettings]] = {}
    paths: dict[tuple[str, str], int] = {}
    for index, tenant in enumerate(config.tenants):
        first = names.setdefault(tenant.name, index)
        if first != index:
            problems.append(
                Problem(
                    tenant_key(index, "name"),
                    f"duplicate tenant name {tenant.name!r} (also {tenant_key(first, 'name')})",
                )
            )
        for name, settings in tenant.receivers.items():
            problem = settings.tenant_problem(name, tenant.auth0)
            if problem is not None:
                key, _, message = problem.partition(": ")
                problems.append(Problem(tenant_key(index, key), message))
        stream = tenant.receivers.get(LOG_STREAM)
        if stream is None:
            continue
        listen, path = str(getattr(stream, "listen", "")), stream_path(tenant, stream)
        where = tenant_key(index, f"receivers.{LOG_STREAM}")
        other = paths.setdefault((listen, path), index)
        if other != index:
            problems.append(
                Problem(
                    f"{where}.path",
                    f"{path} on {listen} is already {tenant_key(other)}'s Log Stream; give each tenant "
                    "its own path",
                )
            )
        owner, shared = listeners.setdefault(listen, (index, stream))
        for key in LISTENER_KEYS:
            if owner != index and getattr(shared, key) != getattr(stream, key):
                problems.append(
                    Problem(
                        f"{where}.{key}",
                        f"differs from {tenant_key(owner)}'s on the same listen address {listen}; "
                        "tenants sharing a listener must agree on it",
                    )
                )
    return problems


def tenant_schema(base: str | None, tenant: str) -> str:
    """The PostgreSQL schema of ``tenant``'s tables: ``<base>_<tenant>`` (``base`` defaulting to
    ``otel_auth0``); a name beyond PostgreSQL's 63 bytes is shortened with a hash of the whole, so
    two tenants never share a schema."""
    name = f"{base or 'otel_auth0'}_{tenant}"
    if len(name.encode()) <= 63:
        return name
    return f"{name[:50]}_{hashlib.sha256(name.encode()).hexdigest()[:12]}"


def tenant_view(config: Config, tenant: TenantConfig) -> Config:
    """The single-tenant configuration of ``tenant``: its ``auth0:`` (``tenant`` defaulting to the
    entry's name), receivers (the Log Stream on its tenant path), service name and detections over
    the file's shared sections; state under ``state_dir/tenants/<name>`` (PostgreSQL: in the schema
    :func:`tenant_schema` names); no telemetry server of
    its own (the file's serves every tenant)."""
    auth0 = tenant.auth0
    if auth0 is not None and not auth0.tenant:
        auth0 = auth0.model_copy(update={"tenant": tenant.name})
    receivers = {
        name: (
            settings.model_copy(update={"path": stream_path(tenant, settings)})
            if name == LOG_STREAM
            else settings
        )
        for name, settings in tenant.receivers.items()
    }
    update: dict[str, object] = {
        "auth0": auth0,
        "receivers": ReceiversConfig(receivers),
        "state_dir": config.state_dir / "tenants" / tenant.name,
        "telemetry": config.telemetry.model_copy(update={"listen": None}),
        "tenants": None,
    }
    if config.state.backend == "postgres":
        update["state"] = config.state.model_copy(
            update={"schema_name": tenant_schema(config.state.schema_name, tenant.name)}
        )
    if tenant.service_name is not None:
        update["service_name"] = tenant.service_name
    if tenant.detections is not None:
        update["processors"] = config.processors.model_copy(update={"detections": tenant.detections})
    return config.model_copy(update=update)
