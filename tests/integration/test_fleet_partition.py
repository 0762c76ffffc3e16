"""A replica cut off from PostgreSQL (issue 23). Three replicas run three simulated tenants on one
database; one of them runs in a network namespace of the test's own, joined to this one by two veth
links: one to PostgreSQL, one for everything else (its Log Stream and ``/readyz``, the simulated tenants
it polls, the OTLP receiver it exports to). Taking the database link down cuts that replica off from
PostgreSQL alone: its leases move to the others, the webhooks it receives get 503 and succeed when
retried on another replica, and nothing is lost. All real processes, sockets and links."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from otel_auth0.config.tenants import tenant_schema
from otel_auth0.local_ports import free_port
from tests.integration.log_stream_process import as_array, items, post_items
from tests.integration.test_tenants_e2e import ids_by_tenant, sim_log_ids, sim_stats
from tests.otlp_receiver import OtlpReceiver
from tests.support.fleet import (
    LOOPBACK,
    Replica,
    leases,
    poller_leases,
    replica_config,
    simulators,
    start_replica,
    tenants_section,
    token_of,
    wait_until,
)
from tests.support.fleet_db import LeaseRows
from tests.support.netns import LinkedNamespace, NamespaceSetupError, linked_namespace
from tests.support.postgres_server import PostgresServer, running_server
from tests.support.tcp_balancer import running_balancer

pytestmark = pytest.mark.integration

TENANTS = ("acme", "globex", "initech")
EVENTS = 900
LEASE_TIME = 3.0
BATCH_SIZE = 50
CUT = "r0"


@pytest.fixture
def namespace() -> Iterator[LinkedNamespace]:
    """The namespace with its ``database`` and ``service`` links (skipped with the reason where the
    machine does not allow it; a failure under CI=true)."""
    with ExitStack() as stack:
        try:
            made = stack.enter_context(linked_namespace("database", "service"))
        except NamespaceSetupError as error:
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"CI=true and no network namespace with veth links: {error}")
            pytest.skip(f"needs a network namespace with veth links: {error}")
        yield made


@pytest.fixture
def server(postgres_server: PostgresServer, namespace: LinkedNamespace) -> Iterator[PostgresServer]:
    """A server of this test's own, also listening on this side of the database link (once the
    session's server shows one can run here)."""
    link = namespace.links["database"]
    with running_server(listen=[link.outer_address], trust=[link.network]) as own:
        yield own


@pytest.fixture
def receiver(namespace: LinkedNamespace) -> Iterator[OtlpReceiver]:
    """The test OTLP receiver on this side of the service link (the namespace's replica exports too)."""
    with OtlpReceiver(host=namespace.links["service"].outer_address) as started:
        yield started


class Webhooks:
    """Auth0 behind a load balancer that retries elsewhere: fresh batches of one tenant posted to
    the cut replica first and, whenever it does not answer 200, to the others in turn until one does.
    Every answer is kept as (posted after the cut, replica, status)."""

    def __init__(self, replicas: list[Replica], tenant: str) -> None:
        self.replicas = replicas
        self.tenant = tenant
        self.sent: set[str] = set()
        self.answers: list[tuple[bool, str, int | str]] = []
        self.unaccepted = 0
        self.cut = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)

    def __enter__(self) -> Webhooks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(120)

    def count(self, replica: str, status: int | str, after_cut: bool) -> int:
        """Answers of ``replica`` with ``status`` to posts made before or after the cut."""
        return sum(1 for answer in self.answers if answer == (after_cut, replica, status))

    def _run(self) -> None:
        path = f"/auth0/{self.tenant}/logs"
        while not self._stop.is_set():
            batch = items(5)
            self.unaccepted += 1
            accepted = False
            while not accepted and not self._stop.is_set():
                for replica in self.replicas:
                    after_cut = self.cut.is_set()
                    try:
                        body, token = as_array(batch), token_of(self.tenant)
                        status: int | str = post_items(replica.stream_url(path), body, token).status_code
                    except Exception as error:  # a hang or a reset is recorded, and the batch retried
                        status = type(error).__name__
                    self.answers.append((after_cut, replica.name, status))
                    if status == 200:
                        accepted = True
                        break
            if accepted:
                self.unaccepted -= 1
                self.sent |= {item["log_id"] for item in batch}
            self._stop.wait(0.2)


def test_a_replica_cut_off_from_postgresql_loses_its_leases_and_answers_503_and_nothing_is_lost(
    tmp_path: Path,
    server: PostgresServer,
    namespace: LinkedNamespace,
    receiver: OtlpReceiver,
) -> None:
    database_link, service_link = namespace.links["database"], namespace.links["service"]
    database = server.create_database()
    schemas = tuple(tenant_schema(None, tenant) for tenant in TENANTS)
    names = [CUT, "r1", "r2"]
    stream_ports = {name: free_port() for name in names}
    balancer_port = free_port()
    # The simulators' Log Streams reach r1 and r2 through the balancer. The cut replica is not behind
    # it: a TCP balancer keeps a client's connection on one backend, so a 503's retry would come back
    # to the same replica; Webhooks plays the load balancer that retries elsewhere for it.
    backends = [f"{LOOPBACK}:{stream_ports[name]}" for name in names if name != CUT]
    with (
        running_balancer(balancer_port, backends),
        simulators(tmp_path, TENANTS, balancer_port, EVENTS, host=service_link.outer_address) as sims,
        ExitStack() as stack,
        LeaseRows(server.dsn(database), LEASE_TIME, schemas) as rows,
    ):
        replicas = []
        for name in names:
            cut = name == CUT
            host = service_link.inner_address if cut else LOOPBACK
            dsn = server.dsn(database, database_link.outer_address if cut else LOOPBACK)
            telemetry_port, stream_port = free_port(), stream_ports[name]
            path = replica_config(
                tmp_path,
                name,
                dsn,
                receiver,
                f"{host}:{telemetry_port}",
                LEASE_TIME,
                BATCH_SIZE,
                pool_size=3,
                tenants=tenants_section(sims, f"{host}:{stream_port}"),
            )
            prefix = namespace.prefix if cut else ()
            replicas.append(
                start_replica(stack, tmp_path, name, path, telemetry_port, stream_port, host, prefix)
            )
        cut_off, others = replicas[0], replicas[1:]
        # One poller lease per replica, the cut one's included.
        assert wait_until(lambda: len(poller_leases(replicas)) == len(TENANTS), 60), leases(replicas)
        pollers = lambda: poller_leases(replicas)  # noqa: E731
        assert wait_until(lambda: len({h for h, _ in pollers().values()}) == 3, 60), leases(replicas)
        with Webhooks(replicas, "acme") as webhooks:
            assert wait_until(lambda: webhooks.count(CUT, 200, after_cut=False) >= 5, 60), webhooks.answers
            held = {lease: epoch for lease, (holder, epoch) in leases(others).items() if holder == CUT}
            assert held, leases(others)
            assert wait_until(lambda: cut_off.readyz().status_code == 200, 60)

            cut_at = rows.now()
            namespace.take_down("database")
            webhooks.cut.set()

            def moved() -> bool:
                return all(rows.taken_over(lease, epoch, CUT) is not None for lease, epoch in held.items())

            assert wait_until(moved, 60), {lease: rows.grants(lease) for lease in held}
            takeovers = {}
            for lease, epoch in held.items():
                grant = rows.taken_over(lease, epoch, CUT)
                assert grant is not None and grant.holder in {r.name for r in others}
                takeovers[lease] = (grant.holder, round((grant.granted_at - cut_at).total_seconds(), 2))
            # Cut off: /readyz fails naming PostgreSQL, and a batch posted to it gets 503 and
            # succeeds on another replica.
            assert wait_until(lambda: cut_off.readyz().status_code == 503, 60)
            reasons = cut_off.readyz().json()["reasons"]
            batch = items(3)
            url, token = "/auth0/acme/logs", token_of("acme")
            refused = post_items(cut_off.stream_url(url), as_array(batch), token)
            retried = post_items(others[0].stream_url(url), as_array(batch), token)
            assert wait_until(lambda: webhooks.count(CUT, 503, after_cut=True) >= 5, 120), webhooks.answers
        assert webhooks.unaccepted == 0

        assert wait_until(
            lambda: all(int(sim_stats(sim)["generated"]) >= EVENTS for sim in sims.values()), 180
        )
        expected: Counter[tuple[str, str, str]] = Counter()
        for tenant, sim in sims.items():
            expected.update((tenant, sim.info["domain"], log_id) for log_id in sim_log_ids(sim))
        acme = sims["acme"].info["domain"]
        expected.update(
            ("acme", acme, log_id) for log_id in webhooks.sent | {item["log_id"] for item in batch}
        )
        assert wait_until(lambda: set(expected) <= set(ids_by_tenant(receiver)), 180), (
            f"missing {len(set(expected) - set(ids_by_tenant(receiver)))} log ids"
        )

    counts = ids_by_tenant(receiver)
    lost = [key for key in expected if counts[key] == 0]
    stray = [key for key in counts if key not in expected]
    resent = {
        tenant: sum(counts[key] - 1 for key in expected if key[0] == tenant and counts[key] > 1)
        for tenant in TENANTS
    }
    after = Counter((replica, status) for after_cut, replica, status in webhooks.answers if after_cut)
    print(
        f"\n{CUT} cut off from PostgreSQL (its database link taken down; 3 tenants x 3 replicas, lease "
        f"{LEASE_TIME:.0f}s): its leases granted to others after (seconds, database clock) {takeovers} "
        f"(bound {LEASE_TIME + 2:.0f}s); /readyz {reasons}; webhooks answered by {CUT} before the cut "
        f"{webhooks.count(CUT, 200, after_cut=False)} x 200, after it {dict(after)}; "
        f"a batch refused by {CUT} ({refused.status_code}) then posted to {others[0].name} "
        f"({retried.status_code}); {len(expected)} log ids generated or posted, lost {len(lost)}, "
        f"stray {len(stray)}, sent twice to the OTLP receiver {resent} (bound: one batch of {BATCH_SIZE} "
        f"per tenant queue)"
    )
    assert all(0 < seconds <= LEASE_TIME + 2 for _, seconds in takeovers.values()), takeovers
    assert any("PostgreSQL" in reason for reason in reasons), reasons
    assert refused.status_code == 503 and "Retry-After" in refused.headers
    assert retried.status_code == 200
    # After the cut the cut replica answered every webhook, and only with 503.
    assert {status for (replica, status) in after if replica == CUT} == {503}, after
    assert lost == [] and stray == []
    assert all(copies <= BATCH_SIZE for copies in resent.values()), resent
