"""The simulator's Starlette app served in-process to an httpx client (no socket)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.types import ASGIApp

DOMAIN = "127.0.0.1:8443"


@asynccontextmanager
async def app_client(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client whose requests go to ``app`` as ``http://DOMAIN``."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=f"http://{DOMAIN}") as client:
        yield client
