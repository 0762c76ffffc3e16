"""The probe's stored credential fingerprint is keyed with a per-state_dir secret (issue 25.13): not
an unsalted SHA-256 over the password, the key file is 0600, and a count stored by an earlier version
under the unkeyed hash is carried over and rewritten keyed."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from pathlib import Path

import pytest

from otel_auth0.auth0.probe import ProbeSettings
from otel_auth0.receivers.probe_guard import CHECKPOINT, CredentialGuard
from otel_auth0.state.files import StateError, fingerprint_key
from otel_auth0.state.queue import PersistentQueue

SETTINGS = ProbeSettings("https://tenant.example", "client", "probe-user", "PROBE-PASSWORD")
UNSALTED = hashlib.sha256(
    "\0".join(("https://tenant.example", "client", "", "probe-user", "PROBE-PASSWORD", "")).encode()
).hexdigest()


def _stored(queue: PersistentQueue) -> dict[str, object]:
    checkpoint = queue.get_checkpoint(CHECKPOINT)
    assert checkpoint is not None
    return dict(json.loads(checkpoint.value))


def test_the_stored_fingerprint_is_an_hmac_under_the_state_dir_key(tmp_path: Path) -> None:
    key = fingerprint_key(tmp_path)
    assert fingerprint_key(tmp_path) == key  # stable across starts
    assert stat.S_IMODE((tmp_path / "fingerprint.key").stat().st_mode) == 0o600
    assert fingerprint_key(tmp_path / "other") != key  # per state_dir
    queue = PersistentQueue(tmp_path / "queue.sqlite3", 1)
    guard = CredentialGuard(queue, SETTINGS.fingerprint(key), max_failures=3, cooldown=600)
    guard.failures = 1
    guard._store_state()
    stored = _stored(queue)["fingerprint"]
    assert stored != UNSALTED
    identity = "\0".join(("https://tenant.example", "client", "", "probe-user", "PROBE-PASSWORD", ""))
    assert stored == hmac.new(key, identity.encode(), hashlib.sha256).hexdigest()


def test_a_count_stored_under_the_unkeyed_hash_is_migrated(tmp_path: Path) -> None:
    queue = PersistentQueue(tmp_path / "queue.sqlite3", 1)
    legacy = {"fingerprint": UNSALTED, "failures": 2, "last_failure": 1000.0}
    queue.set_checkpoint(CHECKPOINT, json.dumps(legacy))
    key = fingerprint_key(tmp_path)
    assert SETTINGS.legacy_fingerprint() == UNSALTED
    guard = CredentialGuard(
        queue,
        SETTINGS.fingerprint(key),
        max_failures=3,
        cooldown=600,
        legacy_fingerprint=SETTINGS.legacy_fingerprint(),
    )
    assert guard.failures == 2  # the count is not lost: the test user stays protected
    assert _stored(queue) == {"fingerprint": SETTINGS.fingerprint(key), "failures": 2, "last_failure": 1000.0}


def test_a_damaged_key_file_is_a_state_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "fingerprint.key").write_text("not hex at all\n", encoding="ascii")
    with pytest.raises(StateError, match=str(tmp_path / "fingerprint.key")):
        fingerprint_key(tmp_path)
