"""``receivers.login_probe``: a synthetic password-grant login every ``interval`` (±10 % jitter).

Each run becomes one trace, one log record and the ``auth0.probe.*`` metrics. A rate-limit answer
postpones the next run until ``x-ratelimit-reset`` / ``Retry-After``; refused credentials are counted
by :class:`~otel_auth0.receivers.probe_guard.CredentialGuard`, which stops the probe before Auth0's
brute-force protection would lock the test user out.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import Field, model_validator

from otel_auth0.auth0.probe import LoginProbe, ProbeResult, ProbeSettings, Sleep
from otel_auth0.backoff import Backoff, jittered
from otel_auth0.config.auth0 import Auth0Config
from otel_auth0.config.base import Duration
from otel_auth0.config.receivers import PeriodicSettings
from otel_auth0.convert.mapping import Converted
from otel_auth0.detections.engine import Observed
from otel_auth0.receivers.base import ReceiverFactory, Services
from otel_auth0.receivers.periodic import PeriodicReceiver
from otel_auth0.receivers.probe_guard import CredentialGuard
from otel_auth0.receivers.probe_telemetry import SCOPE, blocked_telemetry, probe_telemetry, record_metrics
from otel_auth0.receivers.records import submit
from otel_auth0.scheduler import Schedule, sleep_or_stop
from otel_auth0.state.files import fingerprint_key

log = logging.getLogger(__name__)
RECENT_RUNS = 10


@dataclass(frozen=True)
class RecentRun:
    """One run as the status page shows it: when, how it ended, how long each step and phase took."""

    at: float
    ok: bool
    outcome: str
    duration: float | None = None
    phases: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, outcome: ProbeResult | str) -> RecentRun:
        """From a run's result, or the guard's reason for skipping it."""
        if isinstance(outcome, str):
            return cls(time.time(), False, f"skipped: {outcome}")
        phases = tuple(
            (f"{step.name}.{phase}" if phase else step.name, seconds)
            for step in outcome.steps
            for phase, seconds in (("", step.duration), *step.phases.items())
        )
        return cls(
            time.time(),
            outcome.ok,
            "success" if outcome.ok else str(outcome.error_type),
            outcome.duration,
            phases,
        )


class LoginProbeConfig(PeriodicSettings):
    """Synthetic password-grant login."""

    needs_tenant: ClassVar[bool] = True
    measures_tenant: ClassVar[bool] = True

    interval: Duration = 60.0
    client_id: str | None = None
    client_secret: str | None = None
    username: str | None = None
    password: str | None = None
    realm: str | None = None
    audience: str | None = None
    scope: str = "openid profile email"
    userinfo: bool = False
    max_credential_failures: int = Field(default=3, ge=1, le=9)
    credential_failure_cooldown: Duration = 3600.0
    leeway: Duration = 60.0

    @model_validator(mode="after")
    def _credentials(self) -> LoginProbeConfig:
        missing = [key for key in ("client_id", "username", "password") if not getattr(self, key)]
        if missing:
            raise ValueError(f"{', '.join(missing)}: required (the probe logs in with them)")
        return self


def probe_settings(auth0: Auth0Config, config: LoginProbeConfig) -> ProbeSettings:
    """Library settings from the configuration sections."""
    return ProbeSettings(
        base_url=auth0.base_url,
        client_id=config.client_id or "",
        username=config.username or "",
        password=config.password or "",
        client_secret=config.client_secret,
        realm=config.realm,
        audience=config.audience,
        scope=config.scope,
        userinfo=config.userinfo,
        ca_file=auth0.ca_file,
        timeout=auth0.timeout,
        leeway=config.leeway,
    )


class ProbeRunner:
    """One guarded probe run with its telemetry; shared by the receiver and ``otel-auth0 probe``."""

    def __init__(
        self,
        services: Services,
        settings: ProbeSettings,
        config: LoginProbeConfig,
        emit: bool = True,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.services = services
        self.emit = emit
        self.settings = settings
        self.probe = LoginProbe(settings, sleep=sleep)
        self.recent: deque[RecentRun] = deque(maxlen=RECENT_RUNS)  # for the status page
        # Without a state_dir (tests wiring services by hand) the key lives as long as the process.
        key = fingerprint_key(services.state_dir) if services.state_dir else secrets.token_bytes(32)
        self.guard = CredentialGuard(
            services.intake,
            settings.fingerprint(key),
            config.max_credential_failures,
            config.credential_failure_cooldown,
            legacy_fingerprint=settings.legacy_fingerprint(),
        )

    async def run_once(self) -> ProbeResult | str:
        """Probe and emit; returns the result, or the guard's reason when the run was skipped."""
        instruments = self.services.instruments
        reason = self.guard.blocked()
        if reason is not None:
            log.warning("login_probe: %s", reason)
            record_metrics(instruments, None)
            self.recent.append(RecentRun.of(reason))
            await self._emit(blocked_telemetry(self.settings, reason))
            return reason
        result = await self.probe.run()
        await asyncio.to_thread(self.guard.record, result)
        instruments.receiver_requests.add(len(result.steps), self.services.source)
        record_metrics(instruments, result)
        self.recent.append(RecentRun.of(result))
        if result.ok:
            self.services.succeeded()
        else:
            log.warning("login_probe failed (%s): %s", result.error_type, result.message)
        await self._emit(probe_telemetry(self.settings, result), [probe_observation(result)])
        return result

    async def _emit(self, item: Converted, observed: list[Observed] | None = None) -> None:
        if self.emit:
            await submit(self.services, [item], SCOPE, observed=observed or ())


def probe_observation(result: ProbeResult) -> Observed:
    """What the detection rules see of one run (``match.source: login_probe``): ``type``
    ``login_probe``, ``outcome``, ``duration_s``, ``error_type`` and ``date``."""
    end = datetime.fromtimestamp((result.end_ns or result.start_ns) / 1e9, UTC)
    event: dict[str, Any] = {
        "type": "login_probe",
        "outcome": "success" if result.ok else "failure",
        "duration_s": result.duration,
        "date": end.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    if result.error_type:
        event["error_type"] = result.error_type
    return Observed(event, source="login_probe")


class LoginProbeReceiver(PeriodicReceiver):
    """Runs the probe every interval; a rate-limit answer postpones the next run."""

    name = "login_probe"

    def __init__(self, config: LoginProbeConfig, services: Services) -> None:
        super().__init__(Schedule(self.name, config.interval, Backoff(initial=5.0, maximum=config.interval)))
        self._config = config
        self._stop = asyncio.Event()
        settings = probe_settings(services.require_auth0(), config)
        self.runner = ProbeRunner(services, settings, config, sleep=self._sleep)

    async def run(self, stop: asyncio.Event) -> None:
        """Probe every interval until ``stop``, which also cuts the probe's own retry waits short."""
        self._stop = stop
        await super().run(stop)

    async def _sleep(self, seconds: float) -> None:
        """The probe's retry wait, cut short by stop."""
        await sleep_or_stop(self._stop, seconds)

    async def tick(self) -> float | None:
        """One probe run; after a rate-limit answer, the wait it asks for (when longer)."""
        outcome = await self.runner.run_once()
        if isinstance(outcome, ProbeResult) and outcome.retry_after:
            return max(jittered(self._config.interval), outcome.retry_after)
        return None


FACTORY = ReceiverFactory("login_probe", LoginProbeConfig, LoginProbeReceiver)
