"""The log type catalog covers every Auth0 code with valid, principled values."""

from __future__ import annotations

import json
from pathlib import Path

from otel_auth0.convert.catalog import (
    ALL_TYPES,
    CATEGORIES,
    OUTCOMES,
    RATE_LIMIT_CODES,
    Severity,
    lookup,
)
from otel_auth0.convert.catalog_doc import render_markdown_table, replace_table, table_in_document
from tests.shared_data import require_shared_data

DOCS_ONLY_CODES = {
    "fc",
    "gd_auth_fail_email_verification",
    "gd_recovery_rate_limit_exceed",
    "gd_send_email_verification_failure",
    "signup_pwd_leak",
    "too_many_records",
}
REQUIRED_RATE_LIMIT = {
    "api_limit",
    "api_limit_warning",
    "limit_wc",
    "limit_mu",
    "limit_sul",
    "limit_delegation",
    "limit_phone",
    "gd_otp_rate_limit_exceed",
    "gd_recovery_rate_limit_exceed",
}
TELEMETRY_DOC = Path(__file__).parents[3] / "docs" / "telemetry.md"


def _schema_code(path: Path) -> str:
    type_schema = json.loads(path.read_text(encoding="utf-8"))["properties"]["type"]
    return str(type_schema.get("const") or type_schema["enum"][0])


def test_catalog_covers_every_schema_type() -> None:
    schema_dir = require_shared_data("data", "auth0-log-schemas", "schemas", "log-types")
    codes = {_schema_code(p) for p in schema_dir.glob("*.schema.json")}
    assert len(codes) == 166
    assert codes - set(ALL_TYPES) == set()
    assert all(lookup(code).known for code in codes)


def test_catalog_covers_docs_only_codes() -> None:
    assert set(ALL_TYPES) >= DOCS_ONLY_CODES


def test_values_come_from_the_allowed_sets() -> None:
    for code, entry in ALL_TYPES.items():
        assert entry.code == code
        assert entry.category in CATEGORIES
        assert entry.outcome in OUTCOMES
        assert entry.label and entry.label[0].isupper()
        assert entry.known


def test_severity_rule() -> None:
    for entry in ALL_TYPES.values():
        if entry.outcome == "failure" or entry.rate_limit:
            assert entry.severity >= Severity.WARN, entry.code
    assert lookup("depnote").severity is Severity.WARN
    assert lookup("api_limit").severity is Severity.ERROR
    assert lookup("limit_wc").severity is Severity.WARN
    assert lookup("s").severity is Severity.INFO
    assert lookup("fp").severity is Severity.WARN
    assert (Severity.INFO.value, Severity.WARN.value, Severity.ERROR.value) == (9, 13, 17)
    assert Severity.ERROR.text == "ERROR"
    assert (lookup("api_limit").severity_number, lookup("api_limit").severity_text) == (17, "ERROR")


def test_well_known_codes() -> None:
    assert (lookup("s").category, lookup("s").outcome) == ("auth.login.success", "success")
    assert (lookup("fp").category, lookup("fp").outcome) == ("auth.login.fail", "failure")
    assert lookup("fp").security
    assert lookup("sapi").category == "management.success"
    assert lookup("actions_execution_failed").category == "actions"
    assert lookup("sscim").category == lookup("fscim").category == "scim.event"
    assert lookup("seacft").category == "auth.token_exchange.success"


def test_unknown_code_is_kept_with_neutral_values() -> None:
    entry = lookup("brand_new_auth0_type")
    assert entry.code == "brand_new_auth0_type"
    assert (entry.category, entry.outcome, entry.severity) == ("other", "unknown", Severity.INFO)
    assert not entry.known and not entry.rate_limit and not entry.security
    assert lookup("").known is False


def test_rate_limit_set() -> None:
    assert REQUIRED_RATE_LIMIT <= RATE_LIMIT_CODES
    assert all(ALL_TYPES[code].rate_limit for code in RATE_LIMIT_CODES)
    assert "s" not in RATE_LIMIT_CODES


def test_docs_table_matches_catalog() -> None:
    table = render_markdown_table()
    assert table.count("\n") == len(ALL_TYPES) + 2
    assert table_in_document(TELEMETRY_DOC.read_text(encoding="utf-8")) == table


def test_replace_table_regenerates_only_the_marked_part() -> None:
    stale = "# T\n\n<!-- catalog-table:start -->\n| old |\n<!-- catalog-table:end -->\n\nafter\n"
    fresh = replace_table(stale)
    assert table_in_document(fresh) == render_markdown_table()
    assert fresh.startswith("# T\n\n") and fresh.endswith("<!-- catalog-table:end -->\n\nafter\n")
