"""The simulator's subset of Auth0's log search syntax."""

from __future__ import annotations

import pytest

from otel_auth0_sim.search_query import QuerySyntaxError, Range, Term, matches_all, parse_query

EVENT = {
    "type": "s",
    "date": "2019-01-01T06:00:00.000Z",
    "client_id": "abc123",
    "user_id": "auth0|42",
    "connection": "Username-Password-Authentication",
    "description": "Successful login",
}


def test_parses_terms_joined_by_and() -> None:
    terms = parse_query('type:s AND client_id:abc123 AND connection:"Username-Password-Authentication"')
    assert terms == [
        Term("type", "s"),
        Term("client_id", "abc123"),
        Term("connection", "Username-Password-Authentication"),
    ]
    assert matches_all(terms, EVENT)
    assert not matches_all(parse_query("type:s AND user_id:other"), EVENT)


def test_date_ranges_inclusive_exclusive_and_open() -> None:
    assert parse_query("date:[2018-12-10 TO *]") == [Term("date", Range("2018-12-10", None, True, True))]
    assert matches_all(parse_query("date:[2019-01-01T01:00:00 TO 2019-01-01T12:23:45}"), EVENT)
    assert matches_all(parse_query("date:[2019-01-01T06:00:00Z TO 2019-01-02]"), EVENT)
    assert not matches_all(parse_query("date:{2019-01-01T06:00:00Z TO *]"), EVENT)
    assert not matches_all(parse_query("date:[* TO 2018-12-31]"), EVENT)


def test_quoted_values_wildcards_and_missing_fields() -> None:
    assert matches_all(parse_query('description:"Successful login"'), EVENT)
    assert matches_all(parse_query("user_id:auth0|*"), EVENT)
    assert matches_all(parse_query("client_id:*"), EVENT)
    assert not matches_all(parse_query("hostname:*"), EVENT)
    assert not matches_all(parse_query("type:S"), EVENT)  # case-sensitive, as on Auth0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("nosuchfield:1", "unsupported search field"),
        ("type:s AND", "ends with AND"),
        ("AND type:s", "AND must join"),
        ("date:[2019 TO]", "malformed range"),
        ("date:[yesterday TO *]", "not a date"),
        ("type:s OR type:f", "cannot parse"),
        ("", "empty query"),
    ],
)
def test_unsupported_syntax_is_a_clear_error(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=message):
        parse_query(query)
