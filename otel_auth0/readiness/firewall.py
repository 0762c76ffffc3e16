"""Firewall gates: inbound targets Auth0 must reach, and the allowlist of Auth0's outbound IPs."""

from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from otel_auth0.config import InboundTargetConfig
from otel_auth0.readiness.result import CheckResult, failed, passed

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Reachability:
    """How a connection attempt ended: ``open``, ``refused``, ``timeout``, ``unresolved``, ``tls_failed``…"""

    outcome: str
    detail: str


def probe_target(target: InboundTargetConfig) -> Reachability:
    """TCP connect (then TLS or SMTP STARTTLS when configured) within ``target.timeout``."""
    try:
        sock = socket.create_connection((target.host, target.port), timeout=target.timeout)
    except ConnectionRefusedError:
        return Reachability(
            "refused",
            f"connection to {target.host}:{target.port} refused (nothing listens or a firewall rejects)",
        )
    except TimeoutError:
        return Reachability(
            "timeout", f"no answer from {target.host}:{target.port} within {target.timeout:g}s (filtered)"
        )
    except socket.gaierror as error:
        return Reachability("unresolved", f"{target.host} does not resolve: {error.strerror}")
    except OSError as error:
        return Reachability("unreachable", f"{target.host}:{target.port}: {error.strerror or error}")
    with sock:
        if target.tls == "none":
            return Reachability("open", f"TCP connect to {target.host}:{target.port} succeeded")
        context = ssl.create_default_context(cafile=str(target.ca_file) if target.ca_file else None)
        if target.tls == "tls":
            try:
                with context.wrap_socket(sock, server_hostname=target.host) as tls:
                    return Reachability(
                        "open", f"TLS {tls.version()} handshake with {target.host}:{target.port} succeeded"
                    )
            except (ssl.SSLError, OSError) as error:
                return Reachability(
                    "tls_failed", f"TLS handshake with {target.host}:{target.port} failed: {error}"
                )
    return _starttls(target, context)


def _starttls(target: InboundTargetConfig, context: ssl.SSLContext) -> Reachability:
    try:
        with smtplib.SMTP(target.host, target.port, timeout=target.timeout) as smtp:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                return Reachability("tls_failed", f"{target.host}:{target.port} does not offer STARTTLS")
            smtp.starttls(context=context)
            smtp.ehlo()
    except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
        return Reachability("tls_failed", f"STARTTLS with {target.host}:{target.port} failed: {error}")
    return Reachability("open", f"SMTP STARTTLS with {target.host}:{target.port} succeeded")


FIXES = {
    "refused": "start the service or open the port for Auth0's outbound IPs on the firewall",
    "timeout": "the firewall drops the packets: allow Auth0's outbound IPs to this port",
    "unresolved": "fix the host name (DNS) of this inbound target",
    "unreachable": "check routing from Auth0's side to this host",
    "tls_failed": "install a publicly trusted certificate (TLS 1.2+) and enable TLS on this port",
}


def check_inbound_target(target: InboundTargetConfig) -> CheckResult:
    """One inbound target accepts connections (and TLS / STARTTLS when configured)."""
    result = probe_target(target)
    title = f"Inbound target {target.name} is reachable"
    checked = f"{target.host}:{target.port} tls={target.tls} timeout={target.timeout:g}s"
    evidence = {"outcome": result.outcome, "detail": result.detail}
    if result.outcome == "open":
        return passed(f"inbound:{target.name}", title, checked, evidence)
    return failed(
        f"inbound:{target.name}", title, checked, f"{result.outcome}: {result.detail}", FIXES[result.outcome]
    )


def parse_allowlist(text: str, source: str = "allowlist") -> list[Network]:
    """CIDRs or IPs, one per line (``#`` comments, commas allowed); a bad entry names its line."""
    networks: list[Network] = []
    for number, line in enumerate(text.splitlines(), 1):
        for entry in line.split("#", 1)[0].replace(",", " ").split():
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"{source}:{number}: {entry!r} is not an IP address or CIDR") from None
    return networks


def read_allowlist(path: Path) -> list[Network]:
    """:func:`parse_allowlist` of a file."""
    return parse_allowlist(path.read_text(encoding="utf-8"), str(path))


@dataclass(frozen=True)
class Coverage:
    """Auth0 ranges not admitted by the allowlist, and allowlist entries Auth0 no longer publishes."""

    missing: list[str]
    stale: list[str]


def coverage(allowlist: Iterable[Network], auth0_ranges: Iterable[Network]) -> Coverage:
    """Compare an allowlist with the region's published outbound ranges."""
    allowed = list(allowlist)
    published = list(auth0_ranges)
    missing = [
        str(net)
        for net in published
        if not any(net.version == a.version and net.subnet_of(a) for a in allowed)  # type: ignore[arg-type]
    ]
    stale = [
        str(a) for a in allowed if not any(a.version == net.version and a.overlaps(net) for net in published)
    ]
    return Coverage(missing, stale)


def check_allowlist(
    allowlist: list[Network],
    auth0_ranges: list[Network],
    region: str,
    source: str,
    warning: str | None = None,
) -> CheckResult:
    """The allowlist covers every outbound range of ``region``; stale entries are listed as evidence, and
    ``warning`` (the current ranges could not be downloaded) is part of the result either way."""
    result = coverage(allowlist, auth0_ranges)
    title = f"The firewall allowlist covers Auth0's {region} outbound IPs"
    checked = (
        f"{len(allowlist)} allowlist entries vs {len(auth0_ranges)} published {region} ranges ({source})"
    )
    if not auth0_ranges:
        return failed(
            "allowlist",
            title,
            checked,
            f"no published ranges for region {region}",
            "set readiness.region to your tenant's region (US, EU, AU, CA, JP, UK)",
        )
    evidence: dict[str, Any] = {"missing": result.missing, "stale": result.stale}
    if result.missing:
        stale = f"; stale entries to remove: {', '.join(result.stale)}" if result.stale else ""
        note = f"; warning: {warning}" if warning else ""
        return failed(
            "allowlist",
            title,
            checked,
            f"{len(result.missing)} Auth0 IPs missing: {', '.join(result.missing)}{stale}{note}",
            "add the missing ranges to the firewall and readiness.allowlist_file",
        )
    if result.stale:
        evidence["note"] = "stale entries admit IPs Auth0 no longer uses; remove them"
    evidence["compared_with"] = source
    if warning:
        evidence["warning"] = warning
    return passed("allowlist", title, checked, evidence)
