"""Feed parsing, incident status and the records the status and notices receivers emit."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ScopeLogs

from otel_auth0.convert.catalog import lookup
from otel_auth0.convert.mapping import Converted
from otel_auth0.receivers.feed_fetch import FeedEntry, FetchError, parse_feed
from otel_auth0.receivers.notices import changelog_record, ip_ranges_record
from otel_auth0.receivers.status import incident_record, incident_status

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Auth0 Status</title>
<item><title>Login errors in US-1</title><guid>inc-1</guid><link>https://status.example/inc-1</link>
<description>&lt;p&gt;&lt;strong&gt;Investigating&lt;/strong&gt; - We are looking into it.&lt;/p&gt;
</description>
<pubDate>Sun, 29 Nov 2026 01:00:00 GMT</pubDate></item>
<item><title>Slow logs</title><guid>inc-0</guid><description>Resolved - fixed.</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Changelog</title>
<entry><id>https://auth0.com/changelog#a</id><title>New feature</title><updated>2026-11-01T00:00:00Z</updated>
<summary>Something shipped</summary></entry></feed>"""


def the_record(converted: Converted) -> LogRecord:
    scope = ScopeLogs.FromString(converted.logs)
    return scope.log_records[0]


def test_rss_entries_and_incident_status() -> None:
    entries = asyncio.run(parse_feed(RSS))
    assert [e.guid for e in entries] == ["inc-1", "inc-0"]
    assert entries[0].summary == "Investigating - We are looking into it."
    assert entries[0].time_ns == 1_795_914_000 * 1_000_000_000
    assert [incident_status(e) for e in entries] == ["investigating", "resolved"]


def test_atom_entries() -> None:
    (entry,) = asyncio.run(parse_feed(ATOM))
    assert entry.guid == "https://auth0.com/changelog#a" and entry.title == "New feature"


def test_garbage_is_a_fetch_error() -> None:
    with pytest.raises(FetchError):
        asyncio.run(parse_feed(b"\x00\x01 definitely not xml"))


def test_an_update_of_an_incident_gets_a_new_dedupe_key() -> None:
    first = FeedEntry("inc-1", "t", "Investigating - x", "", None, "v1")
    update = FeedEntry("inc-1", "t", "Resolved - x", "", None, "v2")
    assert incident_record(first, "u").key != incident_record(update, "u").key
    record = the_record(incident_record(update, "u"))
    assert record.event_name == "auth0.status.incident" and record.severity_text == "INFO"
    assert the_record(incident_record(first, "u")).severity_text == "WARN"


def test_changelog_and_ip_range_records() -> None:
    entry = FeedEntry("g", "New feature", "details", "https://x", None, "v")
    assert changelog_record(entry, "u").key == "changelog:g"
    record = the_record(ip_ranges_record("US", ("1.2.3.4/32",), (), "u"))
    assert record.severity_text == "WARN" and record.event_name == "auth0.ip_ranges.changed"
    assert "1.2.3.4/32" in record.body.string_value


def test_depnote_log_events_are_warnings() -> None:
    assert lookup("depnote").severity_text == "WARN"
