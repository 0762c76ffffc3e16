"""Every command a newcomer would copy from README.md, docs/readiness.md and docs/simulator.md runs here
as written (only the fixed port 8443 becomes a free port, files go to a temporary directory, and the
attestation example's dates move to yesterday), so a page cannot drift from the program.

``test_every_documented_command_is_run`` ties the pages to this module: a command added to or changed
in one of those pages without a test here fails it. Where the machine can make one, the recipes run in
a network namespace of their own with only loopback (the simulator in it, each later command entering
it), and an audit hook in every Python process records any connection or name lookup beyond loopback.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from otel_auth0.local_ports import free_port
from tests.integration.test_demo_offline import AUDIT_HOOK
from tests.support.netns import namespace_problem

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

# Commands run by another test, and why.
RUN_ELSEWHERE = {
    ("README.md", "make demo"): "tests/integration/test_demo_offline.py runs it with only loopback",
    ("README.md", "make test"): "the test suite itself: .ci/run runs it",
}

# The commands this module runs, as the pages spell them.
READINESS_GATES = "otel-auth0 readiness --config readiness.yaml --report-dir readiness-report"
READINESS_PYTEST = (
    "pytest features/ --readiness-config readiness.yaml --cucumberjson=out.json --junitxml=junit.xml "
    "--gherkin-terminal-reporter -v"
)
READINESS_PYTEST_ENV = "OTEL_AUTH0_READINESS_CONFIG=readiness.yaml pytest features/ -m critical"
READINESS_SIMULATE = (
    "otel-auth0 simulate --port 8443 --events-per-second 0 --profile good --enable-controls   "
    "# or misconfigured"
)
READINESS_ALLOWLIST = (
    'python -c "from otel_auth0.auth0.ip_ranges import load_snapshot; '
    "print(*load_snapshot()['US'], sep='\\n')\" > allowlist.txt"
)
SCAN_TENANT = (
    "otel-auth0 scan --since 24h --config readiness.yaml          # the tenant, through the Management API"
)
SCAN_FILES = (
    "otel-auth0 scan --since 7d saved-logs.json more.jsonl --json # saved files, any format `import` reads"
)
SIMULATE_NO_TLS = "otel-auth0 simulate --port 0 --no-tls --events-per-second 20 --enable-controls"
SIMULATE_LARGE = "otel-auth0 simulate --port 8443 --profile large --events-per-second 1"
LARGE_SCAN = (
    "otel-auth0 scan --since 24h --config sim.yaml                              "
    "# every event of the day, every rate-limit event"
)
LARGE_READINESS = (
    "otel-auth0 readiness --config sim.yaml --tags production_checks --report-dir large-report   "
    "# no_localhost_urls names the page-two application"
)
RUN_HERE = {
    "docs/readiness.md": [
        READINESS_GATES,
        READINESS_PYTEST,
        READINESS_PYTEST_ENV,
        READINESS_SIMULATE,
        READINESS_ALLOWLIST,
        SCAN_TENANT,
        SCAN_FILES,
    ],
    "docs/simulator.md": [SIMULATE_NO_TLS, SIMULATE_LARGE, LARGE_SCAN, LARGE_READINESS],
}


def fenced_blocks(doc: str, language: str) -> list[str]:
    """The bodies of the page's fenced blocks of ``language``."""
    text = (REPO / doc).read_text(encoding="utf-8")
    found = re.findall(rf"^([ \t]*)```{language}\n(.*?)^[ \t]*```", text, flags=re.S | re.M)
    return [textwrap.dedent(body) for _, body in found]


def shell_commands(doc: str) -> list[str]:
    """Each command of the page's ``sh`` blocks: continuation lines joined, comment lines left out."""
    commands = []
    for block in fenced_blocks(doc, "sh"):
        for command in re.sub(r"\\\n\s*", "", block).splitlines():
            if command.strip() and not command.lstrip().startswith("#"):
                commands.append(command.strip())
    return commands


def documented(doc: str, command: str) -> str:
    """``command`` after checking the page spells it so."""
    assert command in shell_commands(doc), f"{doc} no longer has: {command}"
    return command


def yaml_block(doc: str, containing: str) -> str:
    """The page's one ``yaml`` block that contains ``containing``."""
    [block] = [block for block in fenced_blocks(doc, "yaml") if containing in block]
    return block


def test_every_documented_command_is_run() -> None:
    for doc in ("README.md", "docs/readiness.md", "docs/simulator.md"):
        expected = {command for (page, command) in RUN_ELSEWHERE if page == doc} | set(RUN_HERE.get(doc, []))
        assert set(shell_commands(doc)) == expected, doc


class Recipe:
    """A temporary working directory where a page's commands run as a newcomer's shell would run them:
    the project's virtualenv first on PATH, inside one network namespace with only loopback when the
    machine can make one, and an audit hook recording connections beyond loopback."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir = workdir
        self.port = port
        hooks = workdir / ".hooks"
        hooks.mkdir(parents=True)
        (hooks / "sitecustomize.py").write_text(AUDIT_HOOK)
        self.connections = workdir / ".connections.log"
        self.connections.touch()
        self.env = {
            **os.environ,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")])),
            "OTEL_AUTH0_TEST_CONNECTIONS": str(self.connections),
            "COLUMNS": "200",
        }
        self.namespace: str | None = None  # /proc/PID/ns/net of the simulator once it runs in one

    def command(self, text: str) -> str:
        """``text`` with the documented port replaced by this recipe's."""
        return text.replace("8443", str(self.port))

    def _argv(self, text: str, *, first: bool) -> list[str]:
        if first and _can_make_namespace():
            return ["unshare", "--net", "--", "bash", "-c", f"ip link set lo up && exec {text}"]
        if self.namespace is not None:
            return ["nsenter", f"--net={self.namespace}", "--", "bash", "-c", text]
        return ["bash", "-c", text]

    @contextlib.contextmanager
    def simulator(self, text: str) -> Iterator[dict[str, Any]]:
        """Start the documented simulator command; yields its start-up line once it printed it."""
        process = subprocess.Popen(
            self._argv(self.command(text), first=True),
            cwd=self.workdir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            ready, _, _ = select.select([process.stdout], [], [], 120)
            line = process.stdout.readline() if ready and process.stdout else ""
            assert line, f"the simulator printed no start-up line: {process.stderr and process.stderr.read()}"
            if _can_make_namespace():
                self.namespace = f"/proc/{process.pid}/ns/net"
            yield json.loads(line)
        finally:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
            process.kill()
            process.wait()

    def run(self, text: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run one documented command in the working directory."""
        return subprocess.run(
            self._argv(self.command(text), first=False),
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def write_yaml(self, name: str, block: str) -> Path:
        """A documented YAML block saved as ``name`` (with this recipe's port)."""
        path = self.workdir / name
        path.write_text(self.command(block))
        yaml.safe_load(path.read_text())  # the page's block is valid YAML
        return path

    def sim_url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def control(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """A ``/_sim/`` control request, from inside the recipe's namespace when it has one."""
        script = (
            "import httpx, json, sys; r = httpx.post(sys.argv[1], json=json.loads(sys.argv[2]), "
            "verify='.otel-auth0/simulator/tls/ca.pem', timeout=30); print(r.text)"
        )
        done = self.run(f"python -c {_quote(script)} {self.sim_url(path)} {_quote(json.dumps(body))}")
        assert done.returncode == 0, done.stderr
        return httpx.Response(200, text=done.stdout)

    def assert_stayed_on_loopback(self) -> None:
        assert self.connections.read_text() == "", "a connection or name lookup went beyond loopback"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _can_make_namespace() -> bool:
    """Whether the recipes can run in a network namespace (and enter it again with nsenter)."""
    return namespace_problem() is None and shutil.which("nsenter") is not None


def _attestations(recipe: Recipe) -> None:
    """The page's attestations example, dated yesterday (it must be younger than 90 days)."""
    block = yaml_block("docs/readiness.md", "attestations:")
    dated = re.sub(r"date: \d{4}-\d{2}-\d{2}", f"date: {date.today() - timedelta(days=1)}", block)
    recipe.write_yaml("attestations.yaml", dated)


def _scenarios(cucumber: Path) -> dict[str, str]:
    out = {}
    for feature in json.loads(cucumber.read_text()):
        for element in feature["elements"]:
            statuses = {step["result"]["status"] for step in element["steps"]}
            out[element["name"]] = "failed" if "failed" in statuses else min(statuses)
    return out


def test_readiness_recipe_passes_every_gate_on_good(tmp_path: Path) -> None:
    """docs/readiness.md "Trying it against the simulator", then "Running the gates" and `scan`."""
    doc = "docs/readiness.md"
    recipe = Recipe(tmp_path, free_port())
    with recipe.simulator(documented(doc, READINESS_SIMULATE)):
        done = recipe.run(documented(doc, READINESS_ALLOWLIST))
        assert done.returncode == 0, done.stderr
        assert len((tmp_path / "allowlist.txt").read_text().split()) > 10
        _attestations(recipe)
        recipe.write_yaml("readiness.yaml", yaml_block(doc, "provider_endpoints"))

        done = recipe.run(documented(doc, READINESS_GATES))
        output = done.stdout[-6000:] + done.stderr[-3000:]
        assert done.returncode == 0, output
        found = _scenarios(tmp_path / "readiness-report" / "cucumber.json")
        assert len(found) > 50
        assert {name: status for name, status in found.items() if status != "passed"} == {}, output

        features = f"{REPO}/features/"  # the page runs these from a checkout
        for command in (READINESS_PYTEST, READINESS_PYTEST_ENV):
            done = recipe.run(documented(doc, command).replace("features/", features))
            assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
            assert " passed" in done.stdout and " failed" not in done.stdout
        assert json.loads((tmp_path / "out.json").read_text())  # cucumber JSON of the pytest run

        done = recipe.run(documented(doc, SCAN_TENANT))
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]

        recipe.control("/_sim/events", {"generate": 40})
        events = recipe.run(
            "python -c \"import httpx; print(httpx.get('https://127.0.0.1:8443/_sim/events', "
            "verify='.otel-auth0/simulator/tls/ca.pem').text)\""
        )
        stored = json.loads(events.stdout)
        (tmp_path / "saved-logs.json").write_text(json.dumps(stored[:20]))
        (tmp_path / "more.jsonl").write_text("".join(json.dumps(event) + "\n" for event in stored[20:]))
        done = recipe.run(documented(doc, SCAN_FILES))
        assert done.returncode in (0, 1), done.stderr  # 1: the traffic had events over a threshold
        assert json.loads(done.stdout)["events"] == len(stored)
    recipe.assert_stayed_on_loopback()


def test_simulator_page_recipes(tmp_path: Path) -> None:
    """docs/simulator.md: the start-up line, and the `large` tenant read as an auditor would."""
    doc = "docs/simulator.md"
    recipe = Recipe(tmp_path / "plain", free_port())
    with recipe.simulator(documented(doc, SIMULATE_NO_TLS)) as info:
        example = json.loads(fenced_blocks(doc, "sh")[0].splitlines()[1].lstrip("# "))
        assert set(example) <= set(info) and info["scheme"] == "http" and info["ca_file"] is None

    recipe = Recipe(tmp_path / "large", free_port())
    with recipe.simulator(documented(doc, SIMULATE_LARGE)):
        recipe.write_yaml("sim.yaml", yaml_block(doc, "otel-auth0-sim-client"))
        done = recipe.run(documented(doc, LARGE_SCAN))
        assert done.returncode in (0, 1), done.stderr[-3000:]  # 1: rate-limit events over the threshold
        assert re.search(r"\b5,?4\d\d\b", done.stdout), done.stdout[-3000:]  # the day's 5,4xx events
        done = recipe.run(documented(doc, LARGE_READINESS))
        assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
        assert "Legacy intranet portal" in (tmp_path / "large" / "large-report" / "summary.md").read_text()
    recipe.assert_stayed_on_loopback()


def test_readme_configuration_validates(tmp_path: Path) -> None:
    """README.md step 3's configuration, checked with step 4's `otel-auth0 validate`."""
    block = yaml_block("README.md", "state_dir: /var/lib/otel-auth0")
    config = tmp_path / "otel-auth0.yaml"
    config.write_text(block.replace("/var/lib/otel-auth0", str(tmp_path / "state")))
    env = {
        **os.environ,
        "AUTH0_DOMAIN": "example.us.auth0.com",
        "AUTH0_CLIENT_ID": "id",
        "AUTH0_CLIENT_SECRET": "secret",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
    }
    readme = (REPO / "README.md").read_text()
    assert "`otel-auth0 validate --config otel-auth0.yaml`" in readme
    done = subprocess.run(
        [str(VENV_BIN / "otel-auth0"), "validate", "--config", "otel-auth0.yaml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
