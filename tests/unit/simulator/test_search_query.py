"""The simulator's log search syntax (``q``): Auth0's documented Lucene subset."""

from __future__ import annotations

import pytest

from otel_auth0_sim.search_query import AllOf, QuerySyntaxError, Range, Term, parse_query

EVENT = {
    "type": "s",
    "date": "2019-01-01T06:00:00.000Z",
    "client_id": "abc123",
    "client_name": "Portal",
    "user_id": "auth0|42",
    "connection": "Username-Password-Authentication",
    "description": "Successful login",
    "hostname": "tenant.example",
}


def matches(q: str) -> bool:
    return parse_query(q).matches(EVENT)


def test_terms_joined_by_and() -> None:
    query = parse_query('type:s AND client_id:abc123 AND connection:"Username-Password-Authentication"')
    assert query == AllOf(
        (
            Term("type", "s"),
            Term("client_id", "abc123"),
            Term("connection", "Username-Password-Authentication"),
        )
    )
    assert query.matches(EVENT)
    assert not matches("type:s AND user_id:other")


def test_or_not_grouping_and_field_groups() -> None:
    assert matches("type:(fp s) AND hostname:tenant.example")
    assert matches("type:(fp OR s) && NOT client_id:zzz")
    assert not matches("type:(fp fu) AND hostname:tenant.example")
    assert matches("(type:fp OR type:s) AND (user_id:auth0|* OR client_id:nobody)")
    assert not matches("NOT type:s")
    assert matches("type:f OR client_id:abc123")
    assert matches("type:fp client_id:abc123")  # side by side: Lucene's default OR
    assert matches("Portal")  # a bare term matches client_name, connection or user_name


def test_date_ranges_inclusive_exclusive_and_open() -> None:
    assert parse_query("date:[2018-12-10 TO *]") == Term("date", Range("2018-12-10", None, True, True))
    assert matches("date:[2019-01-01T01:00:00 TO 2019-01-01T12:23:45}")
    assert matches("date:[2019-01-01T06:00:00Z TO 2019-01-02]")
    assert matches("date:[2019-01-01T06:00:00.000Z TO 2019-01-01T06:00:00.000Z]")
    assert not matches("date:{2019-01-01T06:00:00Z TO *]")
    assert not matches("date:[* TO 2018-12-31]")


def test_quoted_values_wildcards_and_missing_fields() -> None:
    assert matches('description:"Successful login"')
    assert matches("user_id:auth0|*")
    assert matches("client_id:*")
    assert not matches("user_name:*")
    assert not matches("type:S")  # case-sensitive, as on Auth0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("nosuchfield:1", "unsupported search field"),
        ("type:s AND", "ends too early"),
        ("AND type:s", "AND must join"),
        ("type:(fp fu", "ends too early"),
        ("type:s)", "unbalanced parentheses"),
        ("date:[2019 TO]", "malformed range"),
        ("date:[yesterday TO *]", "not a date"),
        ("type:f?", "wildcard is not supported"),
        ("type:a*b", "only supported at the end"),
        ("type:(client_id:x)", "inside the group"),
        ("", "empty query"),
    ],
)
def test_bad_syntax_is_a_clear_error(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=message):
        parse_query(query)
