"""Network namespaces for tests: with only loopback (nothing leaves the machine), or joined to the
test's namespace by veth links the test can take down (a replica cut off from its database)."""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field


@functools.cache
def namespace_problem() -> str | None:
    """Why this machine cannot make a network namespace with ``unshare --net`` (and bring its ``lo``
    up with ``ip``), or ``None`` when it can."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs unshare (util-linux) and ip (iproute2) to make a network namespace"
    done = subprocess.run(
        ["unshare", "--net", "--", "ip", "link", "set", "lo", "up"], capture_output=True, text=True
    )
    if done.returncode != 0:
        return f"this machine cannot make a network namespace: {done.stderr.strip()}"
    return None


@dataclass(frozen=True)
class VethLink:
    """One veth pair between this network namespace (``outer``) and a namespace of the test's own
    (``inner``), numbered from a /30 of 198.18.0.0/15 (RFC 2544's benchmarking range)."""

    outer: str
    inner: str
    outer_address: str
    inner_address: str
    network: str


@dataclass
class LinkedNamespace:
    """A named network namespace (``ip netns``) joined to this one by veth links, by role."""

    name: str
    links: dict[str, VethLink] = field(default_factory=dict)

    @property
    def prefix(self) -> list[str]:
        """The command prefix that runs a program inside the namespace."""
        return ["ip", "netns", "exec", self.name]

    def take_down(self, role: str) -> None:
        """Take the ``role`` link down on this side: nothing crosses it any more (the inner end stays
        up, without carrier, like a cable pulled out)."""
        _ip("link", "set", self.links[role].outer, "down")


class NamespaceSetupError(RuntimeError):
    """The machine would not make the namespace or its links."""


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise NamespaceSetupError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def _free_networks(count: int) -> list[ipaddress.IPv4Network]:
    """``count`` random /30s of 198.18.0.0/15 that overlap no route of this namespace."""
    routes = subprocess.run(
        ["ip", "-4", "-o", "route", "show", "table", "all"], capture_output=True, text=True
    ).stdout
    taken = []
    for line in routes.splitlines():
        words = line.split()
        destination = words[1] if words[0] in ("local", "broadcast", "unicast") else words[0]
        if destination != "default":
            with contextlib.suppress(ValueError):
                taken.append(ipaddress.ip_network(destination, strict=False))
    chosen: list[ipaddress.IPv4Network] = []
    pool = ipaddress.ip_network("198.18.0.0/15")
    while len(chosen) < count:
        candidate = ipaddress.IPv4Network((int(pool.network_address) + 4 * secrets.randbelow(2**15), 30))
        if not any(candidate.overlaps(other) for other in taken + chosen):
            chosen.append(candidate)
    return chosen


@contextlib.contextmanager
def linked_namespace(*roles: str) -> Iterator[LinkedNamespace]:
    """A new network namespace with ``lo`` up and one veth link per role (``outer`` end here with the
    first address of its /30, ``inner`` end there with the second); deleted with its links on exit.
    Raises :class:`NamespaceSetupError` when the machine does not allow it."""
    if problem := namespace_problem():
        raise NamespaceSetupError(problem)
    tag = secrets.token_hex(3)
    namespace = LinkedNamespace(f"oa-{tag}")
    _ip("netns", "add", namespace.name)
    try:
        _ip("-n", namespace.name, "link", "set", "lo", "up")
        for index, (role, network) in enumerate(zip(roles, _free_networks(len(roles)), strict=True)):
            outer, inner = f"oa{tag}o{index}", f"oa{tag}i{index}"
            first, second = (str(host) for host in network.hosts())
            _ip("link", "add", outer, "type", "veth", "peer", "name", inner, "netns", namespace.name)
            namespace.links[role] = VethLink(outer, inner, first, second, str(network))
            _ip("addr", "add", f"{first}/30", "dev", outer)
            _ip("link", "set", outer, "up")
            _ip("-n", namespace.name, "addr", "add", f"{second}/30", "dev", inner)
            _ip("-n", namespace.name, "link", "set", inner, "up")
        yield namespace
    finally:
        subprocess.run(["ip", "netns", "del", namespace.name], capture_output=True)
        for link in namespace.links.values():  # gone with the namespace, unless it could not be deleted
            subprocess.run(["ip", "link", "del", link.outer], capture_output=True)
