"""The logs poller's hand-written client checked against Auth0's SDK: the search parameters it sends are
parameters of the SDK's ``logs.list`` within their documented limits, and every row it receives in
checkpoint and search mode parses as the SDK's ``Log`` with no field outside Auth0's log schemas."""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from auth0.management.core.pydantic_utilities import parse_obj_as
from auth0.management.logs.client import LogsClient
from auth0.management.types import Log
from pydantic import BaseModel

from otel_auth0.auth0.management import ManagementClient
from otel_auth0.config import Auth0Config
from otel_auth0.receivers.logs_api import EDGE_PAGE, LOGS_PATH
from otel_auth0.receivers.logs_api_config import LogsApiConfig
from otel_auth0_sim.process import running_simulator
from tests.shared_data import require_shared_data

pytestmark = pytest.mark.integration


def _schema_fields() -> set[str]:
    root = require_shared_data("data", "auth0-log-schemas", "schemas", "log-types")
    names = {"_id"}
    for path in root.glob("*.json"):
        schema = json.loads(path.read_text())
        names |= set(schema.get("properties", {}))
        for key in ("allOf", "anyOf", "oneOf"):
            for part in schema.get(key, []):
                names |= set(part.get("properties", {}))
    return names


def _undeclared(row: BaseModel) -> set[str]:
    return set(row.__pydantic_extra__ or {})


def test_search_parameters_are_the_sdks() -> None:
    sdk_parameters = set(inspect.signature(LogsClient.list).parameters)
    edge = {"sort": "date:-1", "per_page": EDGE_PAGE, "page": 0}
    assert set(edge) <= sdk_parameters and EDGE_PAGE <= 100  # the SDK documents per_page <= 100
    take = LogsApiConfig.model_fields["take"]
    assert take.default <= 100 and any(getattr(m, "le", None) == 100 for m in take.metadata)


def test_checkpoint_and_search_rows_parse_as_the_sdk_log(tmp_path: Path) -> None:
    fields = _schema_fields()
    args = ("--events-per-second", "0", "--state-dir", str(tmp_path / "sim"), "--seed", "3")
    with running_simulator(*args, timeout=90) as sim:
        info = sim.info
        httpx.post(f"{sim.base_url}/_sim/events", json={"generate": 150}, verify=sim.verify, timeout=30)
        config = Auth0Config(
            domain=info["domain"],
            client_id=info["client_id"],
            client_secret=info["client_secret"],
            ca_file=info["ca_file"],
        )

        async def fetch() -> tuple[Any, Any]:
            client = ManagementClient(config)
            try:
                checkpoint = await client.get(LOGS_PATH, {"from": "0" * 56, "take": 100})
                edge = await client.get(LOGS_PATH, {"sort": "date:-1", "per_page": EDGE_PAGE, "page": 0})
                return checkpoint, edge
            finally:
                await client.aclose()

        checkpoint, edge = asyncio.run(fetch())
    for response in (checkpoint, edge):
        rows = parse_obj_as(list[Log], response.body)
        assert len(rows) == 100
        assert set().union(*(_undeclared(row) for row in rows)) <= fields
    assert 'rel="next"' in checkpoint.headers["link"]
