"""Keeps the login probe from locking out its test user.

After ``max_credential_failures`` consecutive refused logins the probe stops and reports ``blocked:
credential failure``. It tries again when the identity changes (an HMAC-SHA-256 of domain, client,
username, password and realm under ``state_dir``'s secret key, ``fingerprint.key``) or, once per
``cooldown``, as long as the consecutive failures stay below Auth0's default brute-force threshold of
10; at 9 it waits for a configuration change. The count survives restarts (a checkpoint in the queue
database); a count stored by an earlier version under the unkeyed SHA-256 is carried over and stored
keyed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

from otel_auth0.auth0.probe import ProbeResult
from otel_auth0.state.checkpoints import CheckpointStore

CHECKPOINT = "login_probe.credential_guard"
BRUTE_FORCE_THRESHOLD = 10
BLOCKED_ERROR_TYPE = "blocked"


class CredentialGuard:
    """Decides whether the next probe may send credentials; records each outcome."""

    def __init__(
        self,
        store: CheckpointStore,
        fingerprint: str,
        max_failures: int,
        cooldown: float,
        clock: Callable[[], float] = time.time,
        legacy_fingerprint: str | None = None,
    ) -> None:
        self._store = store
        self._fingerprint = fingerprint
        self._max = max_failures
        self._cooldown = cooldown
        self._clock = clock
        self.failures = 0
        self.last_failure = 0.0
        stored = store.get_checkpoint(CHECKPOINT)
        if stored is not None:
            try:
                state = json.loads(stored.value)
                same = state.get("fingerprint") == fingerprint
                migrated = legacy_fingerprint is not None and state.get("fingerprint") == legacy_fingerprint
                if same or migrated:
                    self.failures = int(state.get("failures", 0))
                    self.last_failure = float(state.get("last_failure", 0.0))
                if migrated:  # an unkeyed fingerprint of an earlier version: stored keyed from now on
                    self._store_state()
            except (ValueError, TypeError, AttributeError):
                pass

    def blocked(self) -> str | None:
        """Why the probe must not log in now, or ``None``."""
        if self.failures < self._max:
            return None
        resume = self.last_failure + self._cooldown
        if self.failures + 1 >= BRUTE_FORCE_THRESHOLD:
            until = "the credentials or client in the configuration change"
        elif self._clock() < resume:
            stamp = datetime.fromtimestamp(resume, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            until = f"{stamp} or until the credentials or client in the configuration change"
        else:
            return None
        return (
            f"blocked: credential failure ({self.failures} consecutive refused logins); "
            f"not trying again before {until}"
        )

    def record(self, result: ProbeResult) -> None:
        """Count a refused login, reset on success; other failures leave the count alone."""
        if result.credential_failure:
            self.failures += 1
            self.last_failure = self._clock()
        elif result.ok and self.failures:
            self.failures = 0
        else:
            return
        self._store_state()

    def _store_state(self) -> None:
        value = {
            "fingerprint": self._fingerprint,
            "failures": self.failures,
            "last_failure": self.last_failure,
        }
        self._store.set_checkpoint(CHECKPOINT, json.dumps(value))
