"""The synthetic-login gate's guarded logins: one retry of a refused login per run, then the guard."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

from otel_auth0.auth0.probe import LoginProbe, ProbeResult
from otel_auth0.readiness.synthetic_login import guarded_logins, p95
from otel_auth0.receivers.probe_guard import CredentialGuard
from otel_auth0.state.queue import PersistentQueue


class ScriptedProbe:
    """Answers with the scripted error types in order (``None`` = success)."""

    def __init__(self, *errors: str | None) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def run(self) -> ProbeResult:
        error = self.errors[min(self.calls, len(self.errors) - 1)]
        self.calls += 1
        return ProbeResult(start_ns=0, end_ns=int(0.2e9), error_type=error, message=error)


def logins(probe: ScriptedProbe, guard: CredentialGuard, runs: int = 3) -> tuple[list[ProbeResult], Any]:
    return asyncio.run(guarded_logins(cast(LoginProbe, probe), guard, runs))


def test_a_refused_login_is_retried_once_then_the_guard_holds_back(tmp_path: Path) -> None:
    queue = PersistentQueue(tmp_path / "queue.sqlite3", 1)
    guard = CredentialGuard(queue, "wrong-password", max_failures=3, cooldown=3600)
    probe = ScriptedProbe("invalid_grant")
    results, stopped = logins(probe, guard)
    assert probe.calls == 2 and results == []
    assert stopped.startswith("login refused 2 times (invalid_grant: invalid_grant); not retried again")
    results, stopped = logins(probe, CredentialGuard(queue, "wrong-password", max_failures=3, cooldown=3600))
    assert probe.calls == 3  # one more, then the guard (3 refusals) holds the rest back
    assert stopped.startswith(
        "the credential guard holds the synthetic login back: blocked: credential failure"
    )
    logins(probe, CredentialGuard(queue, "wrong-password", max_failures=3, cooldown=3600))
    assert probe.calls == 3
    queue.close()


def test_a_refusal_followed_by_success_completes_the_run(tmp_path: Path) -> None:
    queue = PersistentQueue(tmp_path / "queue.sqlite3", 1)
    guard = CredentialGuard(queue, "flaky", max_failures=3, cooldown=3600)
    probe = ScriptedProbe("invalid_grant", None)
    results, stopped = logins(probe, guard)
    assert stopped is None and [r.ok for r in results] == [True, True, True] and probe.calls == 4
    assert guard.failures == 0
    queue.close()


def test_other_failures_are_results_not_retries(tmp_path: Path) -> None:
    queue = PersistentQueue(tmp_path / "queue.sqlite3", 1)
    probe = ScriptedProbe("timeout")
    results, stopped = logins(probe, CredentialGuard(queue, "x", max_failures=3, cooldown=3600))
    assert stopped is None and [r.error_type for r in results] == ["timeout"] * 3
    assert p95([r.duration for r in results]) == 0.2
    queue.close()
