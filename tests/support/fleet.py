"""A fleet of ``otel-auth0 run`` replicas on the PostgreSQL state backend, for integration tests: each
replica's configuration, process and listeners, who holds which lease (as ``/readyz`` and the status
page show it), the simulated tenants behind them, and what reached the test OTLP receiver."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from otel_auth0_sim.process import SimulatorHandle, running_simulator
from tests.collector_process import CollectorProcess, running_collector, write_config
from tests.otlp_receiver import OtlpReceiver

LOOPBACK = "127.0.0.1"


class Replica:
    """One replica: its process, name, and the address and ports of its listeners."""

    def __init__(
        self,
        name: str,
        process: CollectorProcess,
        telemetry_port: int,
        stream_port: int | None,
        host: str = LOOPBACK,
    ) -> None:
        self.name = name
        self.process = process
        self.telemetry_port = telemetry_port
        self.stream_port = stream_port
        self.host = host

    def stream_url(self, path: str = "/auth0/logs") -> str:
        """The Log Stream webhook at ``path``."""
        return f"http://{self.host}:{self.stream_port}{path}"

    def _get(self, path: str) -> httpx.Response:
        return httpx.get(f"http://{self.host}:{self.telemetry_port}{path}", timeout=10)

    def readyz(self) -> httpx.Response:
        """``GET /readyz``."""
        return self._get("/readyz")

    def metric(self, name: str, lease: str) -> float:
        """A counter of this replica's /metrics for ``lease`` (0 when absent)."""
        total = 0.0
        for line in self._get("/metrics").text.splitlines():
            if line.startswith(name) and f'otel_auth0_lease="{lease}"' in line:
                total += float(line.rsplit(" ", 1)[1])
        return total

    def status_holder(self, lease: str, tenant: str | None = None) -> str | None:
        """The holder of ``lease`` on this replica's status page (``/status.json``, the ``leases``
        section, of ``tenant`` with a tenants list)."""
        sections = self._get("/status.json").json()["sections"]
        section: dict[str, Any] = next(
            (s for s in sections if s["id"] == "leases" and s.get("tenant") == tenant), {"rows": []}
        )
        return next((row["holder"] for row in section["rows"] if row["lease"] == lease), None)


def replica_config(
    tmp_path: Path,
    name: str,
    dsn: str,
    receiver: OtlpReceiver,
    telemetry_listen: str,
    lease_time: float,
    batch_size: int,
    pool_size: int | None = None,
    **sections: Any,
) -> Path:
    """``tmp_path/<name>.yaml``: the state on PostgreSQL at ``dsn`` as replica ``name`` (``pool_size``
    connections, else the default), exporting to ``receiver``, with ``sections`` (``auth0``,
    ``receivers``, ``tenants`` …) as given."""
    state: dict[str, Any] = {
        "backend": "postgres",
        "dsn": dsn,
        "replica_id": name,
        "lease_time": f"{lease_time}s",
        "claim_timeout": "5s",
        "connect_timeout": "2s",
    }
    if pool_size is not None:
        state["pool_size"] = pool_size
    body: dict[str, Any] = {
        "state_dir": str(tmp_path / name),
        "state": state,
        "exporters": {
            "otlp": {"endpoint": receiver.http_endpoint, "protocol": "http/protobuf", "insecure": True}
        },
        "queue": {"batch_size": batch_size, "max_backoff": "1s"},
        "telemetry": {"listen": telemetry_listen, "metrics_interval": "500ms"},
        **sections,
    }
    return write_config(tmp_path / f"{name}.yaml", body)


def start_replica(
    stack: ExitStack,
    tmp_path: Path,
    name: str,
    path: Path,
    telemetry_port: int,
    stream_port: int | None = None,
    host: str = LOOPBACK,
    prefix: Sequence[str] = (),
) -> Replica:
    """Start replica ``name`` from the configuration at ``path`` (through ``prefix``, its listeners on
    ``host``), killed with ``stack``; waits for its Log Stream listener when it has one."""
    process = stack.enter_context(
        running_collector(
            path, tmp_path / f"{name}.log", stream_port, on_exit="kill", host=host, prefix=prefix
        )
    )
    return Replica(name, process, telemetry_port, stream_port, host)


def wait_until(condition: Callable[[], object], timeout: float = 120.0, interval: float = 0.1) -> bool:
    """Whether ``condition()`` became true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


def leases(replicas: Iterable[Replica]) -> dict[str, tuple[str, int]]:
    """Live leases (holder, epoch) as the first replica whose /readyz lists them shows them."""
    for replica in replicas:
        try:
            report = replica.readyz().json().get("leases", [])
        except httpx.HTTPError:
            continue
        if report:
            return {
                entry["lease"]: (entry["holder"], entry["epoch"])
                for entry in report
                if entry["seconds_left"] > 0
            }
    return {}


def poller_leases(replicas: Iterable[Replica]) -> dict[str, tuple[str, int]]:
    """The live ``<tenant>/logs_api`` leases among :func:`leases` (each tenant also has others, such as
    ``<tenant>/detections``)."""
    return {lease: held for lease, held in leases(replicas).items() if lease.endswith("/logs_api")}


def holder(replicas: list[Replica], lease: str, other_than: str = "") -> tuple[str, int]:
    """The live holder of ``lease`` and its epoch (once it is not ``other_than``)."""
    found: list[tuple[str, int]] = []

    def held() -> bool:
        entry = leases(replicas).get(lease)
        if entry is None or entry[0] == other_than:
            return False
        found.append(entry)
        return True

    assert wait_until(held, 120), f"nobody but {other_than or 'nobody'} holds {lease}"
    return found[-1]


def received_ids(receiver: OtlpReceiver) -> list[str]:
    """``auth0.log.id`` of every record the receiver got, repeats included."""
    return [str(value) for value in receiver.log_attribute_values("auth0.log.id")]


def duplicated(counts: Counter[Any]) -> int:
    """Copies beyond the first, over every key."""
    return sum(count - 1 for count in counts.values() if count > 1)


def sim_get(sim: SimulatorHandle, path: str) -> Any:
    """A simulator control endpoint's JSON."""
    return httpx.get(f"{sim.base_url}{path}", timeout=10).json()


def token_of(tenant: str) -> str:
    """The Log Stream token of ``tenant`` in a tenants list."""
    return f"stream-token-of-{tenant}"


@contextmanager
def simulators(
    tmp_path: Path,
    tenants: Sequence[str],
    balancer_port: int,
    events: int,
    events_per_second: int = 30,
    host: str = LOOPBACK,
) -> Iterator[dict[str, SimulatorHandle]]:
    """One simulator per tenant (on ``host``), generating ``events`` events and pushing them through
    the load balancer on ``balancer_port`` to the tenant's Log Stream path."""
    with ExitStack() as stack:
        sims = {}
        for tenant in tenants:
            sims[tenant] = stack.enter_context(
                running_simulator(
                    "--no-tls",
                    "--host",
                    host,
                    "--state-dir",
                    str(tmp_path / f"sim-{tenant}"),
                    "--events-per-second",
                    str(events_per_second),
                    "--max-events",
                    str(events),
                    "--log-stream-url",
                    f"http://{LOOPBACK}:{balancer_port}/auth0/{tenant}/logs",
                    "--log-stream-token",
                    token_of(tenant),
                    "--log-stream-batch-size",
                    "10",
                )
            )
        yield sims


def tenants_section(sims: dict[str, SimulatorHandle], stream_listen: str | None) -> list[dict[str, Any]]:
    """A ``tenants:`` list: every tenant polls its simulator and, with ``stream_listen``, also takes
    its Log Stream there (polling beside the stream all the time: both paths carry every log id)."""
    tenants = []
    for tenant, sim in sims.items():
        receivers: dict[str, Any] = {"logs_api": {"interval": "200ms", "start_from": "oldest", "take": 50}}
        if stream_listen is not None:
            receivers["logs_api"]["gap_fill_after"] = "0s"
            receivers["log_stream"] = {"listen": stream_listen, "token": token_of(tenant)}
        auth0 = {
            "domain": sim.info["domain"],
            "scheme": "http",
            "client_id": sim.info["client_id"],
            "client_secret": sim.info["client_secret"],
        }
        tenants.append({"name": tenant, "auth0": auth0, "receivers": receivers})
    return tenants
