"""What counts as a bulletin or advisory, the record for a change, and the configuration checks."""

from __future__ import annotations

import json

import pytest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ScopeLogs

from otel_auth0.collector_config import parse_config
from otel_auth0.config import ConfigError
from otel_auth0.convert.mapping import Converted
from otel_auth0.readiness.notifications import check_bulletin_watcher
from otel_auth0.receivers.security_bulletins import bulletin_record, entries

PAGE = b"""<html><body><nav><a href="/docs">Docs</a></nav><ul>
<li><a href="/security-bulletins/cve-2025-1234">Security Bulletin: &quot;x&quot; <b>CVE-2025-1234</b></a></li>
<li><a href='https://github.com/advisories/GHSA-1111-2222-3333'>SDK issue</a></li>
</ul></body></html>"""


def test_entries_of_a_bulletins_page_and_of_advisories() -> None:
    assert entries(PAGE) == {
        "/security-bulletins/cve-2025-1234": 'Security Bulletin: "x" CVE-2025-1234',
        "https://github.com/advisories/GHSA-1111-2222-3333": "SDK issue",
    }
    advisories = [{"ghsa_id": "GHSA-a", "severity": "critical", "summary": "RCE"}, {"summary": "no id"}]
    assert entries(json.dumps(advisories).encode()) == {"GHSA-a": "critical: RCE"}


def record(converted: Converted) -> LogRecord:
    assert converted.logs is not None
    return ScopeLogs.FromString(converted.logs).log_records[0]


def test_record_severity_follows_new_entries() -> None:
    new = record(bulletin_record("auth0", "https://x.test/b", ["Bulletin A"], "abc"))
    assert new.severity_text == "WARN" and new.event_name == "auth0.security_bulletin"
    assert new.body.string_value == "New Auth0 security bulletins: Bulletin A"
    changed = bulletin_record("auth0/auth0-spa-js", "https://x.test/a", [], "def")
    assert record(changed).severity_text == "INFO"
    assert changed.key == "security_bulletin:auth0/auth0-spa-js:def"


def test_sdks_are_github_repos_and_the_url_template_names_them() -> None:
    with pytest.raises(ConfigError, match="owner/repo"):
        parse_config({"receivers": {"notices": {"sdks": ["nextjs-auth0"]}}})
    with pytest.raises(ConfigError, match=r"\{sdk\}"):
        parse_config({"receivers": {"notices": {"sdk_advisories_url": "https://x.test/advisories"}}})


def test_gate_that_the_watcher_is_configured() -> None:
    assert check_bulletin_watcher(parse_config({})).status == "fail"
    off = check_bulletin_watcher(parse_config({"receivers": {"notices": {"security_bulletins": False}}}))
    assert off.status == "fail" and "security_bulletins is false" in off.message
    on = check_bulletin_watcher(parse_config({"receivers": {"notices": {"sdks": ["auth0/nextjs-auth0"]}}}))
    assert on.status == "pass" and "SDK advisories: auth0/nextjs-auth0" in on.message
