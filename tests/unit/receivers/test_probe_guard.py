"""The credential guard: stop after K refused logins, persist the count, lift on change or cooldown."""

from __future__ import annotations

from pathlib import Path

from otel_auth0.auth0.probe import ProbeResult
from otel_auth0.receivers.probe_guard import CredentialGuard
from otel_auth0.state.queue import PersistentQueue


def result(error_type: str | None) -> ProbeResult:
    return ProbeResult(start_ns=0, error_type=error_type, message=error_type)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def guard(queue: PersistentQueue, clock: Clock, fingerprint: str = "a") -> CredentialGuard:
    return CredentialGuard(queue, fingerprint, max_failures=3, cooldown=600, clock=clock)


def test_blocks_after_k_refusals_and_survives_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    queue = PersistentQueue(tmp_path / "q.sqlite3", 1)
    first = guard(queue, clock)
    for _ in range(2):
        first.record(result("invalid_grant"))
        assert first.blocked() is None
    first.record(result("invalid_grant"))
    reason = first.blocked()
    assert reason is not None and reason.startswith("blocked: credential failure")
    queue.close()
    reopened = PersistentQueue(tmp_path / "q.sqlite3", 1)
    assert guard(reopened, clock).blocked() is not None
    # A changed password / client / user is a new identity: the block is lifted.
    assert guard(reopened, clock, fingerprint="b").blocked() is None


def test_other_failures_do_not_count_and_success_resets(tmp_path: Path) -> None:
    clock = Clock()
    g = guard(PersistentQueue(tmp_path / "q.sqlite3", 1), clock)
    for error in ("invalid_grant", "invalid_grant", "http_5xx", "timeout", "mfa_required"):
        g.record(result(error))
    assert g.failures == 2 and g.blocked() is None
    g.record(result(None))
    assert g.failures == 0


def test_cooldown_allows_one_attempt_but_never_reaches_the_lockout_threshold(tmp_path: Path) -> None:
    clock = Clock()
    g = guard(PersistentQueue(tmp_path / "q.sqlite3", 1), clock)
    attempts = 0
    for _ in range(50):
        if g.blocked() is None:
            attempts += 1
            g.record(result("invalid_grant"))
        clock.now += 601
    assert attempts == 9  # Auth0's default brute-force protection blocks at 10
    assert "configuration change" in (g.blocked() or "")
