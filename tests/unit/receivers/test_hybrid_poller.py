"""logs_api in hybrid mode (log_stream on too), against a mocked Management API: the history before the
stream is read first (from ``start_from``, whatever the stream delivers), then idle while the stream is
healthy, gap-filling from the stream's position when it is silent."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from otel_auth0.auth0.management import ManagementClient
from otel_auth0.collector_config import parse_config
from otel_auth0.receivers.base import Services
from otel_auth0.receivers.logs_api import CHECKPOINT, HISTORY_CHECKPOINT, HISTORY_DONE, LogsApiReceiver
from otel_auth0.receivers.logs_api_config import LogsApiConfig
from otel_auth0.receivers.stream_progress import StreamProgress
from otel_auth0.runtime import Pipeline
from tests.unit.receivers.test_logs_api_unit import DOMAIN, FakeTenant, log_id, run_until


def make_receiver(
    tmp_path: Path, tenant: FakeTenant, progress: StreamProgress, history_read: bool = True, **logs_api: Any
) -> tuple[LogsApiReceiver, Pipeline]:
    """A hybrid-mode poller; ``history_read``: it already caught up with the history before the stream
    (so it only fills gaps)."""
    config = parse_config(
        {
            "auth0": {"domain": DOMAIN, "client_id": "id", "client_secret": "secret"},
            "state_dir": str(tmp_path / "state"),
            "receivers": {
                "logs_api": {"interval": "50ms", "take": 3, "start_from": "oldest", **logs_api},
                "log_stream": {"listen": "127.0.0.1:0", "token": "t"},
            },
            "exporters": {"file": {"path": str(tmp_path / "out.jsonl")}},
        }
    )
    pipeline = Pipeline.create(config)
    if history_read:
        pipeline.intake.set_checkpoint(HISTORY_CHECKPOINT, HISTORY_DONE)
    services = Services(
        "logs_api", pipeline.intake, pipeline.instruments, auth0=config.auth0, stream_progress=progress
    )
    settings = config.receivers.section(LogsApiConfig)
    assert config.auth0 is not None and settings is not None
    client = ManagementClient(config.auth0, transport=httpx.MockTransport(tenant.handler))
    return LogsApiReceiver(settings, services, client), pipeline


def checkpoint_requests(tenant: FakeTenant) -> list[str]:
    return [str(r.url.params["from"]) for r in tenant.requests if "from" in r.url.params]


async def run_for(receiver: LogsApiReceiver, seconds: float, progress: StreamProgress | None = None) -> None:
    """Run the poller for ``seconds``; a healthy stream keeps delivering meanwhile when ``progress``."""
    stop = asyncio.Event()
    task = asyncio.create_task(receiver.run(stop))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if progress is not None:
            progress.last_received = progress.newest_event_at = time.time()
        await asyncio.sleep(0.02)
    stop.set()
    await task


def test_a_healthy_stream_costs_no_log_requests(tmp_path: Path) -> None:
    tenant = FakeTenant()
    progress = StreamProgress(highest_log_id=log_id(2))
    receiver, pipeline = make_receiver(tmp_path, tenant, progress, gap_fill_after="200ms")
    asyncio.run(run_for(receiver, 0.6, progress))
    assert checkpoint_requests(tenant) == []  # only the start position was resolved (search mode)
    assert pipeline.intake.accepted_total == 0
    pipeline.queue.close()


def test_a_silent_stream_is_backfilled_from_its_highest_log_id(tmp_path: Path) -> None:
    tenant = FakeTenant()
    progress = StreamProgress(highest_log_id=log_id(4), last_received=time.time() - 600)
    receiver, pipeline = make_receiver(tmp_path, tenant, progress, gap_fill_after="100ms")
    asyncio.run(run_for(receiver, 0.5))
    assert checkpoint_requests(tenant)[0] == log_id(4)
    assert pipeline.intake.accepted_total == 3  # 5, 6, 7: nothing the stream already delivered
    pipeline.queue.close()


def test_a_stream_behind_by_event_time_is_backfilled(tmp_path: Path) -> None:
    tenant = FakeTenant()
    now = time.time()
    progress = StreamProgress(highest_log_id=log_id(6), last_received=now, newest_event_at=now - 600)
    receiver, pipeline = make_receiver(tmp_path, tenant, progress, gap_fill_after="10s")
    assert receiver.stream_lag() >= 600
    asyncio.run(run_for(receiver, 0.3))
    assert checkpoint_requests(tenant)[0] == log_id(6)
    assert pipeline.intake.accepted_total == 1
    pipeline.queue.close()


def test_history_before_the_stream_is_read_even_while_the_stream_is_healthy(tmp_path: Path) -> None:
    """Issue 20.1: the stream delivered a fresh event (its highest log id is the newest), yet the poller
    reads every older event from start_from: oldest, then records that the history is read."""
    tenant = FakeTenant()
    now = time.time()
    progress = StreamProgress(highest_log_id=log_id(7), last_received=now, newest_event_at=now)
    receiver, pipeline = make_receiver(tmp_path, tenant, progress, history_read=False, gap_fill_after="1h")

    async def scenario() -> None:
        async def healthy_stream() -> None:
            while True:
                progress.last_received = progress.newest_event_at = time.time()
                await asyncio.sleep(0.02)

        keep_alive = asyncio.create_task(healthy_stream())
        try:
            await run_until(receiver, lambda: pipeline.intake.accepted_total == 7)
        finally:
            keep_alive.cancel()

    asyncio.run(scenario())
    assert checkpoint_requests(tenant)[0] == "90020260101000000" + "0" * 39  # from the oldest, not the stream
    history = pipeline.queue.get_checkpoint(HISTORY_CHECKPOINT)
    assert history is not None and history.value == HISTORY_DONE
    cursor = pipeline.queue.get_checkpoint(CHECKPOINT)
    assert cursor is not None and cursor.value == log_id(7)
    pipeline.queue.close()


def test_after_the_history_a_healthy_stream_costs_no_requests_again(tmp_path: Path) -> None:
    """Once caught up (recorded), a restart goes straight to gap-filling: no history read again."""
    tenant = FakeTenant()
    progress = StreamProgress(highest_log_id=log_id(7))
    receiver, pipeline = make_receiver(tmp_path, tenant, progress, history_read=False, gap_fill_after="1h")
    asyncio.run(run_until(receiver, lambda: pipeline.queue.get_checkpoint(HISTORY_CHECKPOINT) is not None))
    pipeline.queue.close()
    tenant = FakeTenant()
    again, pipeline = make_receiver(tmp_path, tenant, progress, history_read=False, gap_fill_after="1h")
    asyncio.run(run_for(again, 0.4, progress))
    assert checkpoint_requests(tenant) == []
    pipeline.queue.close()


def test_the_history_ends_at_the_streams_first_event_on_a_busy_tenant(tmp_path: Path) -> None:
    """A busy tenant never answers an empty page; the history still ends once the cursor reaches the
    first event the stream delivered (the stream has everything after it), and the poller goes idle."""
    tenant = FakeTenant()
    progress = StreamProgress(highest_log_id=log_id(7), first_log_id=log_id(4))
    receiver, pipeline = make_receiver(tmp_path, tenant, progress, history_read=False, gap_fill_after="1h")
    asyncio.run(run_until(receiver, lambda: pipeline.queue.get_checkpoint(HISTORY_CHECKPOINT) is not None))
    asyncio.run(run_for(receiver, 0.3, progress))
    assert checkpoint_requests(tenant) == ["90020260101000000" + "0" * 39, log_id(3)]
    assert pipeline.intake.accepted_total == 6  # 1-6: the page that reached the stream's first event
    pipeline.queue.close()
