"""Firewall and SMTP gates over real sockets: loopback listeners, a TLS server, the local aiosmtpd
mailbox (STARTTLS + AUTH), and a filtered port inside a network namespace this test creates."""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_auth0.config import InboundTargetConfig
from otel_auth0.local_tls import ensure_certificates
from otel_auth0.readiness.email_checks import smtp_handshake
from otel_auth0.readiness.firewall import check_inbound_target, probe_target
from otel_auth0.readiness.mailbox import LocalMailbox

pytestmark = pytest.mark.integration


@pytest.fixture
def listener() -> Iterator[int]:
    """An open loopback port that accepts and closes connections."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                conn.close()
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_open_and_refused_are_distinguished(listener: int) -> None:
    assert probe_target(InboundTargetConfig(name="open", host="127.0.0.1", port=listener)).outcome == "open"
    result = check_inbound_target(InboundTargetConfig(name="db-api", host="127.0.0.1", port=closed_port()))
    assert result.status == "fail"
    assert result.message.startswith("Inbound target db-api is reachable: refused:")
    assert "Fix: start the service or open the port" in result.message


def test_tls_handshake_is_verified(tmp_path: Path) -> None:
    tls = ensure_certificates(tmp_path / "tls")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve_once() -> None:
        conn, _ = server.accept()
        try:
            with context.wrap_socket(conn, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass

    for ca_file, outcome in ((tls.ca_file, "open"), (None, "tls_failed")):
        thread = threading.Thread(target=serve_once, daemon=True)
        thread.start()
        target = InboundTargetConfig(name="hook", host="127.0.0.1", port=port, tls="tls", ca_file=ca_file)
        assert probe_target(target).outcome == outcome
        thread.join(5)
    server.close()


def test_smtp_starttls_and_auth_against_local_mailbox(tmp_path: Path) -> None:
    with LocalMailbox(tmp_path, "qa", "secret") as box:
        step, evidence = smtp_handshake(box.host, box.port, "qa", "secret", box.ca_file, 5)
        assert step is None and evidence["auth"] == "accepted" and evidence["tls"].startswith("TLS")
        step, evidence = smtp_handshake(box.host, box.port, "qa", "wrong", box.ca_file, 5)
        assert step == "AUTH" and "535" in evidence["error"]
        step, _ = smtp_handshake(box.host, box.port, "qa", "secret", None, 5)
        assert step == "STARTTLS"  # the test CA is not trusted without ca_file
        step, evidence = smtp_handshake(box.host, box.port, "qa", "secret", box.ca_file, 5, tls="none")
        assert step == "STARTTLS" and "Auth0 sends only over TLS" in evidence["error"]
        smtp = InboundTargetConfig(
            name="smtp", host=box.host, port=box.port, tls="starttls", ca_file=box.ca_file
        )
        assert probe_target(smtp).outcome == "open"


NAMESPACE_PROBE = """
import json, socket, sys
from otel_auth0.config import InboundTargetConfig
from otel_auth0.readiness.firewall import probe_target
server = socket.create_server(("127.0.0.1", 0))
closed = socket.socket(); closed.bind(("127.0.0.1", 0)); closed_port = closed.getsockname()[1]; closed.close()
targets = {
    "open": ("127.0.0.1", server.getsockname()[1]),
    "closed": ("127.0.0.1", closed_port),
    "filtered": ("192.0.2.2", 443),
}
print(json.dumps({
    name: probe_target(InboundTargetConfig(name=name, host=host, port=port, timeout=1)).outcome
    for name, (host, port) in targets.items()
}))
"""


@pytest.fixture
def namespace() -> Iterator[str]:
    """A network namespace whose 192.0.2.2 (TEST-NET-1) silently swallows packets: the address lives on
    a veth pair inside the namespace with a static neighbour nobody answers for."""
    if shutil.which("ip") is None:
        pytest.skip("iproute2 (ip) is not installed")
    name = f"oa6-{secrets.token_hex(4)}"
    if subprocess.run(["ip", "netns", "add", name], capture_output=True).returncode != 0:
        pytest.skip("cannot create a network namespace here (needs root / CAP_SYS_ADMIN)")
    try:
        setup = [
            "ip link set lo up",
            "ip link add oa6a type veth peer name oa6b",
            "ip link set oa6a up",
            "ip link set oa6b up",
            "ip addr add 192.0.2.1/24 dev oa6a",
            "ip neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev oa6a nud permanent",
        ]
        for command in setup:
            argv = ["ip", "netns", "exec", name, *command.split()]
            done = subprocess.run(argv, capture_output=True, text=True)
            if done.returncode != 0:
                pytest.skip(f"namespace setup failed ({command}): {done.stderr.strip()}")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def test_filtered_port_times_out_distinctly(namespace: str) -> None:
    done = subprocess.run(
        ["ip", "netns", "exec", namespace, sys.executable, "-c", NAMESPACE_PROBE],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"open": "open", "closed": "refused", "filtered": "timeout"}
