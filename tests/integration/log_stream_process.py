"""Run ``otel-auth0 run`` with a log_stream receiver as a real process (readiness, kill -9, stream posts)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from otel_auth0.local_ports import free_port
from otel_auth0_sim.log_ids import LogIdGenerator
from tests.collector_process import CollectorProcess, write_config
from tests.collector_process import running_collector as _running_collector

__all__ = ["CollectorProcess", "free_port", "write_config"]

TOKEN = "stream-token-for-tests"


_ids = LogIdGenerator()


def items(count: int) -> list[dict[str, Any]]:
    """``count`` Log-Stream items ``{"log_id", "data"}`` with fresh log ids."""
    out = []
    for index in range(count):
        log_id = _ids.next_id()
        event = {
            "log_id": log_id,
            "type": "s" if index % 2 else "f",
            "date": "2026-11-29T01:02:03.456Z",
            "description": f"event {index}",
            "client_id": "abc",
            "user_id": "auth0|42",
        }
        out.append({"log_id": log_id, "data": event})
    return out


def as_array(batch: list[Any]) -> bytes:
    """JSONARRAY body."""
    return json.dumps(batch).encode()


def as_lines(batch: list[Any]) -> bytes:
    """JSONLINES body."""
    return "\n".join(json.dumps(item) for item in batch).encode()


def stream_config(port: int, **extra: Any) -> dict[str, Any]:
    """``receivers.log_stream`` on 127.0.0.1:``port`` with the test token."""
    return {"listen": f"127.0.0.1:{port}", "path": "/auth0/logs", "token": TOKEN, **extra}


def hybrid_config(
    sim_info: dict[str, Any], state_dir: Path, port: int, otlp_endpoint: str, **logs_api: Any
) -> dict[str, Any]:
    """logs_api (polling a plain-HTTP simulator) and log_stream on ``port``, exporting to the receiver."""
    return {
        "auth0": {
            "domain": sim_info["domain"],
            "scheme": "http",
            "client_id": sim_info["client_id"],
            "client_secret": sim_info["client_secret"],
        },
        "state_dir": str(state_dir),
        "receivers": {
            "logs_api": {"interval": "300ms", "start_from": "oldest", **logs_api},
            "log_stream": stream_config(port),
        },
        "exporters": {"otlp": otlp_exporter(otlp_endpoint)},
    }


def otlp_exporter(endpoint: str, protocol: str = "http/protobuf") -> dict[str, Any]:
    """``exporters.otlp`` for the test receiver."""
    return {"endpoint": endpoint, "protocol": protocol, "insecure": True, "timeout": "2s"}


@contextmanager
def running_collector(
    config_path: Path, stderr_path: Path, stream_port: int | None = None, ready: bool = True
) -> Iterator[CollectorProcess]:
    """Start the collector (waiting for its log_stream receiver when it has one); kill it on exit."""
    with _running_collector(config_path, stderr_path, stream_port, ready, on_exit="kill") as collector:
        yield collector


def post_items(url: str, body: bytes, token: str = TOKEN, **headers: str) -> httpx.Response:
    """POST a Log Stream body the way Auth0 does (``Authorization`` verbatim, JSON content type)."""
    sent = {"Authorization": token, "Content-Type": "application/json", **headers}
    return httpx.post(url, content=body, headers=sent, timeout=30.0)
