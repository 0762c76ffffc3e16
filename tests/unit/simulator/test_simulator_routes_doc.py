"""docs/simulator.md lists every Management API route the simulator serves (so the two cannot drift)."""

from __future__ import annotations

import re
from pathlib import Path

from otel_auth0_sim.app import create_app
from otel_auth0_sim.state import TenantState

DOC = Path(__file__).resolve().parents[3] / "docs" / "simulator.md"


def _normal(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.strip("/"))


def _expand(token: str) -> list[str]:
    """``a/{b,c}/d`` → ``a/b/d``, ``a/c/d`` (a brace group with commas is a list of alternatives)."""
    group = re.search(r"\{([^{}]*,[^{}]*)\}", token)
    if group is None:
        return [token]
    return [
        path
        for choice in group.group(1).split(",")
        for path in _expand(token[: group.start()] + choice + token[group.end() :])
    ]


def _documented() -> set[str]:
    """Every path named in backticks (``GET /api/v2/x``, ``x/{id}``), with a table row's shorthands:
    ``/y`` replaces the last segment of the previous path, ``/{id}`` follows every path of the row."""
    found: set[str] = set()
    for line in DOC.read_text().splitlines():
        cell = line.split("|")[1] if line.startswith("|") else line
        row: list[str] = []
        for raw in re.findall(r"`([^`]+)`", cell):
            token = re.sub(r"\{[^{}]* or [^{}]*\}", "{}", raw)
            token = re.sub(r"^(GET|POST) ", "", token).removeprefix("/api/v2/").split(" ")[0]
            if token == "/{id}":
                found.update(f"{p}/{{}}" for p in row)
                continue
            if token.startswith("/") and row:
                token = row[-1].rsplit("/", 1)[0] + token
            paths = [_normal(p) for p in _expand(token)]
            row += paths
            found.update(paths)
    return found


def test_every_management_api_route_is_in_docs_simulator_md() -> None:
    app = create_app(TenantState("tenant.test:443"))
    served = {_normal(r.path.removeprefix("/api/v2/")) for r in app.routes if r.path.startswith("/api/v2/")}  # type: ignore[attr-defined]
    documented = _documented()
    assert len(served) > 90
    missing = sorted(served - documented)
    assert not missing, f"docs/simulator.md does not list: {missing}"
