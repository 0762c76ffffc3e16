"""The bounded listener in-process: out of file descriptors it pauses accepting, logs one line and serves
the waiting clients once descriptors are free; the open-file budget adds up every listener's cap."""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import socket

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from otel_auth0 import http_listen
from otel_auth0.http_listen import LimitedServer, ListenerLimits, bind, reserve_open_files

CLIENTS = 20


async def _hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


async def _answer(sock: socket.socket) -> bytes:
    loop = asyncio.get_running_loop()
    received = b""
    while b"hello" not in received:
        chunk = await loop.sock_recv(sock, 4096)
        if not chunk:
            break
        received += chunk
    return received


async def _out_of_files_then_served() -> list[bytes]:
    listening = bind("127.0.0.1:0", "test")
    port = listening.getsockname()[1]
    config = uvicorn.Config(Starlette(routes=[Route("/", _hello)]), log_level="warning", lifespan="off")
    server = LimitedServer(config, ListenerLimits("test", "test", max_connections=64, header_timeout=60))
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    while not server.started:
        await asyncio.sleep(0)
    clients = []
    for _ in range(CLIENTS):  # connected by the kernel, not yet accepted: the loop has not run
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        client.setblocking(False)
        clients.append(client)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    fillers: list[int] = []
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 64, hard))
        while True:  # bounded by the lowered limit
            try:
                fillers.append(os.open(os.devnull, os.O_RDONLY))
            except OSError:
                break
        for _ in range(50):  # the acceptor runs, meets EMFILE, pauses
            await asyncio.sleep(0)
    finally:
        for descriptor in fillers:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        async with asyncio.timeout(60):
            return await asyncio.gather(*(_answer(client) for client in clients))
    finally:
        for client in clients:
            client.close()
        server.should_exit = True
        await serving


def test_out_of_files_pauses_accepting_logs_one_line_and_serves_everyone_after(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "otel_auth0.http_listen")
    answers = asyncio.run(_out_of_files_then_served())
    assert all(answer.startswith(b"HTTP/1.1 200") for answer in answers), answers
    lines = [record.getMessage() for record in caplog.records if "cannot accept" in record.getMessage()]
    assert len(lines) == 1, lines
    assert "Too many open files" in lines[0]
    assert not any(record.exc_info for record in caplog.records)


def test_the_open_file_budget_adds_up_every_listener(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_listen, "_reserved", {})
    limits = {"soft": 1024, "hard": 4096}
    monkeypatch.setattr(resource, "getrlimit", lambda _: (limits["soft"], limits["hard"]))
    monkeypatch.setattr(resource, "setrlimit", lambda _, value: limits.update(soft=value[0]))
    reserve_open_files(ListenerLimits("telemetry", "telemetry", 64, 10))
    assert limits["soft"] == 1024  # 64 + 128 fit
    reserve_open_files(ListenerLimits("log_stream", "receivers.log_stream", 2000, 10))
    assert limits["soft"] == 2000 + 64 + http_listen.RESERVED_FILES
    with pytest.raises(ValueError) as refused:
        reserve_open_files(ListenerLimits("event_stream", "receivers.event_stream", 3000, 10))
    message = str(refused.value)
    assert message.startswith("receivers.event_stream.max_connections: 3000 connections beside")
    assert "hard limit (RLIMIT_NOFILE) is 4096" in message and "\n" not in message
