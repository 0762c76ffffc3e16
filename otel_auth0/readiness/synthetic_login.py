"""The synthetic-login gate, through the same credential guard as ``otel-auth0 probe`` and the probe
receiver (its state is the checkpoint in ``state_dir/queue.sqlite3``, shared by every command using that
``state_dir``), so repeated readiness runs with a wrong password never lock the test user out.

A refused login is retried at most once per run; when the guard holds the login back, the gate fails and
says why and until when.
"""

from __future__ import annotations

import asyncio
import math

from otel_auth0.auth0.probe import LoginProbe, ProbeResult
from otel_auth0.config import Config
from otel_auth0.readiness.result import CheckResult, failed, passed
from otel_auth0.receivers.login_probe import LoginProbeConfig, probe_settings
from otel_auth0.receivers.probe_guard import CredentialGuard
from otel_auth0.state.files import fingerprint_key
from otel_auth0.state.queue import PersistentQueue

PROBE_RUNS = 3
REFUSED_RETRIES = 1
ID = "synthetic_login"
CREDENTIALS_FIX = (
    "fix receivers.login_probe username/password (or the test user in the tenant); the guard lets the "
    "probe try again as soon as they change"
)


def p95(durations: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(durations)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


async def guarded_logins(
    probe: LoginProbe, guard: CredentialGuard, runs: int
) -> tuple[list[ProbeResult], str | None]:
    """Up to ``runs`` logins; stops when the guard holds them back or a refused login's one retry is
    refused too. Returns the results and, when stopped, why."""
    results: list[ProbeResult] = []
    refused = 0
    while len(results) < runs:
        reason = guard.blocked()
        if reason is not None:
            return results, f"the credential guard holds the synthetic login back: {reason}"
        result = await probe.run()
        await asyncio.to_thread(guard.record, result)
        if result.credential_failure:
            refused += 1
            if refused > REFUSED_RETRIES:
                return results, (
                    f"login refused {refused} times ({result.error_type}: {result.message}); not retried "
                    f"again in this run ({guard.failures} consecutive refusals so far)"
                )
            continue
        results.append(result)
    return results, None


def check_synthetic_login(config: Config, threshold_s: float, runs: int = PROBE_RUNS) -> CheckResult:
    """``runs`` guarded synthetic logins all succeed and their p95 is within ``threshold_s``."""
    title = f"The synthetic login succeeds within {threshold_s:g}s (p95)"
    probe_config = config.receivers.section(LoginProbeConfig)
    if config.auth0 is None or probe_config is None or not probe_config.username:
        return failed(
            ID,
            title,
            "receivers.login_probe",
            "no synthetic login is configured",
            "configure receivers.login_probe (a test user and a first-party client with the password grant)",
        )
    settings = probe_settings(config.auth0, probe_config)
    checkpoints = PersistentQueue.in_state_dir(config.state_dir, 1, config.queue, config.processors.dedupe)
    try:
        guard = CredentialGuard(
            checkpoints,
            settings.fingerprint(fingerprint_key(config.state_dir)),
            probe_config.max_credential_failures,
            probe_config.credential_failure_cooldown,
            legacy_fingerprint=settings.legacy_fingerprint(),
        )
        results, stopped = asyncio.run(guarded_logins(LoginProbe(settings), guard, runs))
    finally:
        checkpoints.close()
    checked = (
        f"{runs} password-grant logins of {probe_config.username} at {config.auth0.base_url} "
        f"(credential guard in {config.state_dir})"
    )
    if stopped is not None:
        return failed(ID, title, checked, stopped, CREDENTIALS_FIX)
    failures = [r.message for r in results if not r.ok]
    if failures:
        return failed(
            ID,
            title,
            checked,
            f"{len(failures)} of {runs} logins failed: {failures[0]}",
            "check the probe user, its password and that the client allows the password grant",
        )
    slowest = p95([r.duration for r in results])
    if slowest > threshold_s:
        return failed(
            ID,
            title,
            checked,
            f"p95 {slowest:.2f}s is above {threshold_s:g}s",
            "find the slow phase in the probe spans (Actions, custom DB) or raise thresholds.probe_p95_s",
        )
    return passed(ID, title, checked, f"p95 {slowest:.3f}s over {runs} logins")
