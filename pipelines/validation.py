"""Contract checks over the raw text rows of a table, all in DuckDB SQL.

Column checks (required, type, enum, sign, profile codes), key uniqueness and time order are derived from the
contract; rules that span columns or tables are the files in `sql/validation/`. Every check yields rows of
(file, row, record, field, expected, found); identifiers come from the contract, every value is a bound
parameter.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import duckdb

from pipelines.contract import (
    DECIMAL_MAX_FRACTION_DIGITS,
    DECIMAL_MAX_INTEGER_DIGITS,
    LIST_KINDS,
    Column,
    Kind,
    Table,
)
from pipelines.landing import ContractError, raw_table, text_column, typed
from pipelines.profile import Profile
from pipelines.sql import SqlFile, read_sql

# EU and EEA member states (DORA applies in the EEA).
MEMBER_STATES = (
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO".split()
)
TIMESTAMP_WITH_OFFSET = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)"
TIMESTAMP_NAIVE = r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?"
DECIMAL_TEXT = rf"-?\d{{1,{DECIMAL_MAX_INTEGER_DIGITS}}}(\.\d{{1,{DECIMAL_MAX_FRACTION_DIGITS}}})?"
INTEGER_TEXT = r"-?\d{1,18}"


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def shown(column: Column, alias: str = "") -> str:
    """SQL for a value as the input wrote it: its text when it came from text, else its typed value as text."""
    v = alias + quote(column.name)
    if not typed(column):
        return v
    as_text = f"array_to_string({v}, ';')" if column.kind in LIST_KINDS else f"CAST({v} AS VARCHAR)"
    return f"coalesce({alias}{quote(text_column(column))}, {as_text})"


def record_label(table: Table, alias: str = "") -> str:
    """SQL for a row's key as people read it: `claim_id=CLM-1` or `asset=BTC, date=2026-05-01`."""
    parts = [f"'{name}=' || coalesce({shown(table.column(name), alias)}, '?')" for name in table.key]
    return " || ', ' || ".join(parts)


@dataclass
class _Check:
    """One SELECT of the UNION that finds problems, with its bound parameters."""

    column: Column
    predicate: str  # SQL over the raw row; true where the value is wrong
    expected: str
    params: dict[str, object] = field(default_factory=dict)


# How text must be written for each typed kind (the typed reading of text is lenient; this is not).
_TEXT_RULES = {
    Kind.DATE: ("NOT regexp_full_match({t}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') OR TRY_CAST({t} AS DATE) IS NULL", {}),
    Kind.DECIMAL: ("NOT regexp_full_match({t}, $pattern)", {"pattern": DECIMAL_TEXT}),
    Kind.INTEGER: ("NOT regexp_full_match({t}, $pattern)", {"pattern": INTEGER_TEXT}),
    Kind.BOOLEAN: ("{t} NOT IN ('true', 'false')", {}),
}


def _column_checks(column: Column, profile: Profile, table: Table) -> list[_Check]:
    v = quote(column.name)
    t = quote(text_column(column)) if typed(column) else v  # what was written, where it was text
    checks: list[_Check] = []
    if not column.nullable:
        missing = f"{v} IS NULL AND {t} IS NULL" if typed(column) else f"{v} IS NULL"
        checks.append(_Check(column, missing, f"a value ({column.name} is required): {column.expected}"))
    checks.append(_Check(column, f"{t} = ''", "a non-empty value, or no value at all"))
    text_rules = {
        # a space, tab or line break at either end; the two end characters looked up (trim is 5× slower)
        Kind.ID: (f"(list_contains($space, {v}[1]) OR list_contains($space, {v}[-1]))",
                  {"space": list(" \t\n\r\x0b\x0c")}),
        Kind.CODE: (f"NOT regexp_full_match({v}, '[A-Z0-9]{{2,10}}')", {}),
        Kind.ENUM: (f"NOT list_contains($values, {v})", {"values": list(column.values)}),
        Kind.COUNTRY_LIST: (f"NOT list_has_all($states, {v})", {"states": list(MEMBER_STATES)}),
        Kind.ENUM_LIST: (f"len({v}) = 0 OR NOT list_has_all($values, {v})", {"values": list(column.values)}),
    }
    text_rules.update({kind: (rule.format(t=t), params) for kind, (rule, params) in _TEXT_RULES.items()})
    if column.kind in text_rules:
        predicate, params = text_rules[column.kind]
        checks.append(_Check(column, f"{t} <> '' AND ({predicate})", column.expected, params))
    if column.kind is Kind.TIMESTAMP:
        checks.append(
            _Check(
                column,
                f"regexp_full_match({t}, $naive)",
                "a timezone-aware timestamp: a naive one (without Z or an offset such as +00:00) is ambiguous",
                {"naive": TIMESTAMP_NAIVE},
            )
        )
        checks.append(
            _Check(
                column,
                f"{t} <> '' AND NOT regexp_full_match({t}, $naive) "
                f"AND (NOT regexp_full_match({t}, $aware) OR TRY_CAST({t} AS TIMESTAMPTZ) IS NULL)",
                column.expected,
                {"naive": TIMESTAMP_NAIVE, "aware": TIMESTAMP_WITH_OFFSET},
            )
        )
    if column.non_negative and column.kind in (Kind.DECIMAL, Kind.INTEGER):
        pattern = DECIMAL_TEXT if column.kind is Kind.DECIMAL else INTEGER_TEXT
        checks.append(
            _Check(
                column,
                # judged on well-written values only: a malformed one has its own error
                f"{v} < 0 AND ({t} IS NULL OR regexp_full_match({t}, $pattern))",
                "a value of zero or more",
                {"pattern": pattern},
            )
        )
    if column.name in table.profile_codes:
        list_name = table.profile_codes[column.name]
        codes = profile.codes(list_name)
        checks.append(
            _Check(
                column,
                f"{v} IS NOT NULL AND NOT list_contains($codes, {v})",
                f"a {list_name[:-1]} code of the entity profile ({', '.join(codes)})",
                {"codes": codes},
            )
        )
    return checks


def _order_checks(table: Table) -> list[_Check]:
    return [
        _Check(table.column(later), f"{quote(later)} < {quote(earlier)}", f"{later} not before {earlier}")
        for earlier, later in table.order
    ]


def _column_checks_sql(table: Table, checks: list[_Check]) -> tuple[str, dict[str, object]]:
    """One scan for every column check: the failing rows, each with the indexes of the checks it fails and the
    values they are about. Parameters are renamed per check so that they cannot collide."""
    params: dict[str, object] = {}
    predicates = []
    for i, check in enumerate(checks):
        predicate = check.predicate
        for key, value in sorted(check.params.items(), key=lambda kv: -len(kv[0])):
            predicate = predicate.replace(f"${key}", f"$p{i}_{key}")
            params[f"p{i}_{key}"] = value
        predicates.append(f"({predicate})")
    hits = ", ".join(f"CASE WHEN {p} THEN {i} END" for i, p in enumerate(predicates))
    found = ", ".join(shown(check.column) for check in checks)
    sql = (
        f"SELECT _file, _row, {record_label(table)} AS record, [{hits}] AS hits, [{found}] AS found "
        f"FROM {raw_table(table)} WHERE {' OR '.join(predicates)}"
    )
    return sql, params


def _column_errors(con: duckdb.DuckDBPyConnection, table: Table, checks: list[_Check]) -> list[tuple]:
    sql, params = _column_checks_sql(table, checks)
    return [
        (file, row, record, checks[i].column.name, checks[i].expected, found[i])
        for file, row, record, hits, found in con.execute(sql, params).fetchall()
        for i in hits if i is not None
    ]


def _has_duplicate_keys(con: duckdb.DuckDBPyConnection, table: Table) -> bool:
    """A cheap aggregate first: the detailed query, with its window over every row, runs only when needed.
    Distinct 64-bit hashes of the key count faster than distinct strings; equal keys have equal hashes, so fewer
    hashes than rows means a duplicate or (rarely) a collision, which the detailed query tells apart."""
    keys = ", ".join(quote(k) for k in table.key)
    sql = f"SELECT count(DISTINCT hash({keys})) < count(*) FROM {raw_table(table)}"
    return con.execute(sql).fetchone()[0]


def _key_check_sql(table: Table) -> str:
    keys = ", ".join(quote(k) for k in table.key)
    where = "_file || CASE WHEN lower(_file) LIKE '%.parquet' THEN ', row ' ELSE ', line ' END || _row"
    first = f"first_value({where}) OVER (PARTITION BY {keys} ORDER BY _file, _row)"
    return f"""
        SELECT _file, _row, record, field, expected, found FROM (
            SELECT _file, _row, {record_label(table)} AS record, ? AS field,
                   'a unique key (first seen at ' || {first} || ')' AS expected,
                   {" || ', ' || ".join(f"coalesce({shown(table.column(k))}, '')" for k in table.key)} AS found,
                   row_number() OVER (PARTITION BY {keys} ORDER BY _file, _row) AS occurrence
            FROM {raw_table(table)}
        ) WHERE occurrence > 1"""


def _reference_sql(table: Table, column: str, target_table: str, target: str) -> str:
    return f"""
        SELECT _file, _row, {record_label(table)} AS record, ? AS field,
               'a ' || ? || ' present in ' || ? AS expected, {quote(column)} AS found
        FROM {raw_table(table)} AS r
        WHERE {quote(column)} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM staging.{quote(target_table)} AS t
                          WHERE t.{quote(target)} = r.{quote(column)})"""


def _priced_sql(table: Table, asset: str, time: str) -> str:
    # The (asset, day) pairs first: millions of rows need only a few hundred price look-ups.
    a, day = quote(asset), f"utc_date({quote(time)})"
    return f"""
        WITH unpriced AS (
            SELECT DISTINCT {a} AS unpriced_asset, {day} AS unpriced_day FROM {raw_table(table)}
            WHERE {a} IS NOT NULL AND {quote(time)} IS NOT NULL
            EXCEPT
            SELECT asset, date FROM staging.prices
        )
        SELECT _file, _row, {record_label(table)} AS record, ? AS field,
               'an asset with a close on ' || CAST(unpriced_day AS VARCHAR) || ' in prices' AS expected,
               r.{a} AS found
        FROM {raw_table(table)} AS r
        JOIN unpriced ON unpriced_asset = r.{a} AND unpriced_day = utc_date(r.{quote(time)})"""


@dataclass
class TableReport:
    table: str
    rows: int
    errors: list[ContractError]
    skipped: list[str] = field(default_factory=list)  # checks not run, and why


def check_raw_table(
    con: duckdb.DuckDBPyConnection, table: Table, profile: Profile, loaded: set[str]
) -> TableReport:
    """Run every contract check over `raw_<table>`; `loaded` names the staging tables references may use."""
    rows = con.execute(f"SELECT count(*) FROM {raw_table(table)}").fetchone()[0]
    checks = [c for column in table.columns for c in _column_checks(column, profile, table)] + _order_checks(table)
    found = _column_errors(con, table, checks)
    if _has_duplicate_keys(con, table):
        found += con.execute(_key_check_sql(table), [", ".join(table.key)]).fetchall()
    skipped = []
    for ref in table.references:
        if ref.table in loaded:
            found += con.execute(
                _reference_sql(table, ref.column, ref.table, ref.target),
                [ref.column, ref.target, ref.table],
            ).fetchall()
        else:
            skipped.append(f"{ref.column} → {ref.table}.{ref.target}: {ref.table} was not loaded")
    for asset, time in table.priced:
        if "prices" in loaded:
            found += con.execute(_priced_sql(table, asset, time), [asset]).fetchall()
        else:
            skipped.append(f"{asset} priced on the day of {time}: prices was not loaded")
    for rule in table.rules:
        needs = _rule_tables(rule)
        if needs <= loaded:
            found += con.execute(read_sql("validation", rule)).fetchall()
        else:
            skipped.append(f"rule {rule}: needs {', '.join(sorted(needs - loaded))}, which was not loaded")
    errors = [
        ContractError(file=f, row=r, field=fld, expected=exp, found="empty" if val is None else val, record=rec)
        for f, r, rec, fld, exp, val in found
    ]
    return TableReport(table.name, rows, errors, skipped)


def dependencies(table: Table) -> set[str]:
    """The tables whose staged rows this table's checks read (references, rules, prices)."""
    needs = {ref.table for ref in table.references} | {t for rule in table.rules for t in _rule_tables(rule)}
    return needs | ({"prices"} if table.priced else set())


def fingerprint(table: Table, profile: Profile) -> int:
    """What the checks of a table depend on besides data: the contract's declaration of it, its rule files and the
    profile's code lists. Rows checked under another fingerprint are checked again."""
    parts = [repr(table), *(read_sql("validation", rule) for rule in table.rules),
             *(f"{column}={profile.codes(codes)}" for column, codes in sorted(table.profile_codes.items()))]
    return int(hashlib.sha256("\n".join(parts).encode()).hexdigest()[:15], 16)


def kept_key_sql(table: Table) -> str:
    """Rows of the files being read whose key is already staged from one of the `$kept` files (incremental
    loads)."""
    keys = ", ".join(quote(k) for k in table.key)
    where = "s.source_file || CASE WHEN lower(s.source_file) LIKE '%.parquet' THEN ', row ' ELSE ', line ' END"
    return f"""
        SELECT r._file, r._row, {record_label(table, 'r.')} AS record, $field AS field,
               'a unique key (first seen at ' || {where} || s.source_row || ')' AS expected,
               {" || ', ' || ".join(f"coalesce({shown(table.column(k), 'r.')}, '')" for k in table.key)} AS found
        FROM {raw_table(table)} AS r
        JOIN staging.{quote(table.name)} AS s USING ({keys})
        WHERE s.source_file IN (SELECT unnest($kept))"""


def _rule_tables(rule: str) -> set[str]:
    """The staging tables a rule file reads, so it runs only once they are loaded."""
    return {t.removeprefix("staging.") for t in SqlFile("validation", rule).stored_tables if t.startswith("staging.")}
