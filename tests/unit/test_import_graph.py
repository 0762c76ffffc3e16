"""No import loops between the collector's packages (issue 23.6): every import in ``otel_auth0/``,
at module level or inside a function, absolute or relative, is an edge between the top-level
subpackages and modules it joins (``otel_auth0.config`` → ``otel_auth0.convert``), and that graph
has no cycle. Imports under ``if TYPE_CHECKING:`` are left out: they never run."""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Edge:
    """One import: the module ``source`` (at ``where``, ``path:line``) imports ``target``."""

    source: str
    target: str
    where: str


def _module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.Module) -> set[int]:
    """The ids of every node under an ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``) body."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
        if name == "TYPE_CHECKING":
            guarded.update(id(inner) for statement in node.body for inner in ast.walk(statement))
    return guarded


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The modules ``node`` names, relative forms resolved; ``from package import name`` (the root
    package) yields ``package.name``: it may be a subpackage."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        anchor = package[: len(package) - (node.level - 1)]
        base = ".".join([*anchor, node.module] if node.module else anchor)
    else:
        base = node.module or ""
    if "." in base:
        return [base]
    return [f"{base}.{alias.name}" for alias in node.names]


def import_edges(base: Path, package: str) -> list[Edge]:
    """Every import between modules of ``package`` (a directory under ``base``)."""
    edges = []
    for path in sorted((base / package).rglob("*.py")):
        module = _module_name(path, base)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        guarded = _type_checking_only(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in guarded:
                continue
            for target in _imported(node, module, path.name == "__init__.py"):
                if target == package or target.startswith(f"{package}."):
                    where = f"{path.relative_to(base)}:{node.lineno}"
                    edges.append(Edge(module, target, where))
    return edges


def unit_of(module: str, units: set[str]) -> str:
    """The top-level subpackage or module ``module`` belongs to (the root package itself otherwise:
    ``from otel_auth0 import __version__``)."""
    parts = module.split(".")
    top = ".".join(parts[:2])
    return top if top in units else parts[0]


def top_level_units(base: Path, package: str) -> set[str]:
    """``package`` itself and each of its top-level subpackages and modules."""
    units = {package}
    for child in (base / package).iterdir():
        if child.is_dir() and (child / "__init__.py").exists():
            units.add(f"{package}.{child.name}")
        elif child.suffix == ".py" and child.name != "__init__.py":
            units.add(f"{package}.{child.stem}")
    return units


def package_graph(base: Path, package: str) -> dict[tuple[str, str], list[Edge]]:
    """Each dependency between two different top-level units, with the imports that make it."""
    units = top_level_units(base, package)
    graph: dict[tuple[str, str], list[Edge]] = defaultdict(list)
    for edge in import_edges(base, package):
        source, target = unit_of(edge.source, units), unit_of(edge.target, units)
        if source != target:
            graph[source, target].append(edge)
    return graph


def cycles(graph: dict[tuple[str, str], list[Edge]]) -> list[tuple[set[str], list[str]]]:
    """Each group of units that reach one another, with one shortest cycle through it (none: the graph
    is a DAG)."""
    following: dict[str, set[str]] = defaultdict(set)
    for source, target in graph:
        following[source].add(target)

    def path(start: str, goal: str) -> list[str] | None:
        frontier, came_from = [start], {start: start}
        while frontier:
            nearer = []
            for unit in frontier:
                for after in sorted(following[unit]):
                    if after == goal:
                        route = [unit]
                        while route[-1] != start:
                            route.append(came_from[route[-1]])
                        return [*reversed(route), goal]
                    if after not in came_from:
                        came_from[after] = unit
                        nearer.append(after)
            frontier = nearer
        return None

    found: list[tuple[set[str], list[str]]] = []
    seen: set[str] = set()
    for unit in sorted(following):
        loop = None if unit in seen else path(unit, unit)
        if loop is not None:
            group = {other for other in following if path(unit, other) and path(other, unit)}
            found.append((group, loop))
            seen |= group
    return found


def describe(group: set[str], loop: list[str], graph: dict[tuple[str, str], list[Edge]]) -> str:
    """The group, one cycle through it (``a -> b -> a``) and, for each step, the imports that make it."""
    steps = []
    for source, target in pairwise(loop):
        imports = [f"{edge.where} imports {edge.target}" for edge in graph[source, target]]
        more = f" (and {len(imports) - 3} more)" if len(imports) > 3 else ""
        steps.append(f"  {source} -> {target}: {', '.join(imports[:3])}{more}")
    return f"{', '.join(sorted(group))}; e.g. " + " -> ".join(loop) + "\n" + "\n".join(steps)


def test_the_collector_packages_import_each_other_in_no_loop() -> None:
    graph = package_graph(ROOT, "otel_auth0")
    print(f"{len({u for pair in graph for u in pair})} units, {len(graph)} dependencies between them")
    # The scan sees the collector's real dependencies (not an empty graph).
    assert ("otel_auth0.receivers", "otel_auth0.config") in graph
    assert ("otel_auth0.runtime", "otel_auth0.receivers") in graph
    found = cycles(graph)
    assert not found, "import cycles between packages:\n" + "\n".join(describe(*c, graph) for c in found)


def _write(base: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_function_level_and_relative_imports_make_a_cycle_and_type_checking_ones_do_not(
    tmp_path: Path,
) -> None:
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a/__init__.py": "",
            "pkg/a/x.py": "def later():\n    from pkg.b.y import thing\n    return thing\n",
            "pkg/b/__init__.py": "",
            "pkg/b/y.py": "from ..a import x\nthing = x\n",
            "pkg/c.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import x\n"
                "from pkg import b\n"
            ),
        },
    )
    graph = package_graph(tmp_path, "pkg")
    assert set(graph) == {("pkg.a", "pkg.b"), ("pkg.b", "pkg.a"), ("pkg.c", "pkg.b")}
    found = cycles(graph)
    assert found == [({"pkg.a", "pkg.b"}, ["pkg.a", "pkg.b", "pkg.a"])]
    text = describe(*found[0], graph)
    assert "pkg/a/x.py:2 imports pkg.b.y" in text and "pkg/b/y.py:1 imports pkg.a" in text


def test_a_dag_has_no_cycle(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "VERSION = 1\n",
            "pkg/a.py": "from pkg import VERSION\nfrom pkg.b import z\n",
            "pkg/b/__init__.py": "from . import z\n",
            "pkg/b/z.py": "import pkg\n",
        },
    )
    graph = package_graph(tmp_path, "pkg")
    assert set(graph) == {("pkg.a", "pkg"), ("pkg.a", "pkg.b"), ("pkg.b", "pkg")}
    assert [edge.where for edge in graph["pkg.b", "pkg"]] == ["pkg/b/z.py:1"]
    assert cycles(graph) == []
