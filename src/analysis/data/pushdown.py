"""Validation of Parquet tables pushed down to DuckDB: the data contract's rules as SQL.

A national company's dataset (tens of millions of rows) is too big to parse into pandas just to
check it. For a Parquet table whose column types are already the contract's (`native`), every
rule the pandas validator in `analysis.data.validate` applies is a SQL predicate here, and one scan per table
counts the rows breaking each; only for a broken rule is a second query run to fetch the first
rows and values. Duplicate keys are one hash aggregate, references one anti-join each.

The messages are the pandas validator's, rule for rule and in the same order (a test runs both
over the bad-input corpus written as Parquet and compares them). Row numbers are 1-based rows of
the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.data.contract import TABLES, Column, Table, foreign_keys
from analysis.data.engine import WS_CLASS, parquet_view_sql, parsed_sql, quoted
from analysis.data.validate import (
    CONTROL,
    CONTROL_CHARS,
    FORMULA_SQL,
    FUTURE,
    MAX_ROWS_SHOWN,
    Issue,
    control_checked,
    future_limit,
    reference_issue,
    unknown_columns,
)

__all__ = ["native", "check_table", "check_references"]


def _native_type(kind: str, t: pa.DataType) -> bool:
    if kind in ("id", "text", "month"):
        return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
    if kind == "int":
        return pa.types.is_integer(t)
    if kind == "float":
        return pa.types.is_floating(t) or pa.types.is_integer(t)
    if kind in ("date", "datetime"):
        return (pa.types.is_timestamp(t) and t.tz is None) or pa.types.is_date(t)
    if kind == "bool":
        return pa.types.is_boolean(t)
    return False


def native(file: Path, table: Table) -> bool:
    """Whether every contract column present in Parquet `file` already has the contract's type
    (strings for ids, text and months; timestamps without a zone; ...). Only such tables are
    validated here; any other is parsed and checked by pandas (`analysis.data.validate`)."""
    try:
        schema = pq.read_schema(file)
    except Exception:
        return False  # unreadable: the pandas path names the problem
    names = set(table.column_names)
    return all(_native_type(table.column(f.name).kind, f.type) for f in schema if f.name in names)


class _Check(NamedTuple):
    column: str  # the column(s) the Issue names
    rule: str
    bad: str  # SQL predicate: the row breaks the rule
    show: str | None  # the column whose values the Issue shows
    severity: str
    relation: str  # the SQL relation it runs on (raw or parsed values)


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _suspect(name: str) -> str:
    """SQL: the value starts or ends with whitespace, or holds a control character (one regex
    pass, no dearer than the whitespace test alone)."""
    return f"regexp_matches({name}, '^{WS_CLASS}|{WS_CLASS}$|{CONTROL_CHARS}')"


def _column_checks(col: Column) -> list[tuple[str, str, bool | str, str]]:
    """(rule, violation predicate, show values (True: the column's; a string: that SQL
    expression's), severity) for one column, in the pandas order.
    An id column's predicates use `_suspect_<name>` (`_suspect`, computed once per row), so the
    costlier tests run only on the rare values with surrounding whitespace or a control
    character."""
    name, v = col.name, parsed_sql(col)
    blank = f"regexp_full_match({name}, '{WS_CLASS}*')"
    if col.kind == "id":
        flag = f"_suspect_{name}"
        v = f"(CASE WHEN {flag} THEN {v} ELSE {name} END)"
        blank = f"({name} = '' OR ({flag} AND {blank}))"
    if col.kind in ("id", "text", "month"):
        present = f"({name} IS NOT NULL AND NOT {blank})"
        ok = f"({name} IS NOT NULL)"
    elif col.kind == "float":
        present = f"({name} IS NOT NULL AND NOT isnan({name}))"
        ok = f"({present} AND NOT isinf({name}))"
    else:
        present = ok = f"({name} IS NOT NULL)"
    checks = []
    if col.kind == "float":  # as the pandas validator: an infinite value is not a number
        checks.append((f"is not a valid {col.kind}", f"{present} AND isinf({name})", True, "error"))
    if col.kind == "month":
        checks.append(
            (
                f"is not a valid {col.kind}",
                f"{present} AND NOT regexp_full_match({name}, '\\d{{4}}-(0[1-9]|1[0-2])')",
                True,
                "error",
            )
        )
    if not col.nullable:
        checks.append(("must not be empty", f"NOT {present}", False, "error"))
    elif col.empty_note:
        checks.append((col.empty_note, f"NOT {present}", False, "warning"))
    if control_checked(col):
        control = f"{ok} AND regexp_matches({v}, {_lit(CONTROL_CHARS)})"
        if col.kind == "id":  # CASE, not AND: DuckDB would run the regex on every row
            control = f"(CASE WHEN {flag} THEN {control} ELSE false END)"
        checks.append((CONTROL, control, True, "error"))
    if col.kind == "month":
        ok = f"({ok} AND regexp_full_match({name}, '\\d{{4}}-(0[1-9]|1[0-2])'))"
    if col.enum is not None:
        values = ", ".join(_lit(e) for e in col.enum)
        checks.append(
            (
                "must be one of " + ", ".join(col.enum),
                f"{ok} AND {v} NOT IN ({values})",
                True,
                "error",
            )
        )
    if col.ge is not None:
        checks.append((f"must be >= {col.ge:g}", f"{ok} AND {v} < {col.ge!r}", True, "error"))
    if col.le is not None:
        checks.append((f"must be <= {col.le:g}", f"{ok} AND {v} > {col.le!r}", True, "error"))
    if col.kind == "datetime":
        limit = future_limit().strftime("%Y-%m-%d %H:%M:%S")
        shown = f"strftime({v}, '%Y-%m-%d %H:%M:%S')"  # as the pandas validator shows them
        checks.append((FUTURE, f"{ok} AND {v} >= TIMESTAMP '{limit}'", shown, "error"))
    if col.pattern is not None and col.kind in ("id", "text"):
        checks.append(
            (
                f"must match {col.pattern}",
                f"{ok} AND NOT regexp_full_match({v}, {_lit(col.pattern)})",
                True,
                "error",
            )
        )
    if col.kind == "text":
        checks.append(
            (
                "looks like a spreadsheet formula: kept as text and never evaluated (a "
                "spreadsheet opening this file might run it)",
                f"{ok} AND regexp_matches({name}, {_lit(FORMULA_SQL)})",
                True,
                "warning",
            )
        )
    return checks


def _first_rows(
    con: duckdb.DuckDBPyConnection, source: str, predicate: str, value: str | None
) -> tuple[tuple[int, ...], tuple[str, ...]]:
    rows = con.execute(
        f"SELECT file_row_number, {value or 'NULL'} FROM {source} WHERE {predicate} "
        f"ORDER BY file_row_number LIMIT {MAX_ROWS_SHOWN}"
    ).fetchall()
    shown = tuple(repr(r[1]) for r in rows) if value else ()
    return tuple(int(r[0]) + 1 for r in rows), shown


def check_table(
    con: duckdb.DuckDBPyConnection, name: str, file: Path
) -> tuple[list[Issue], frozenset[str]]:
    """Every contract rule of table `name` on its Parquet `file`, as `Issue`s (errors, then
    warnings, in the order the pandas validator reports them), and the id columns holding
    values with surrounding whitespace (which the contract trims; the rest need no trimming)."""
    table, fname = TABLES[name], str(file)
    columns = pq.read_schema(file).names
    present = set(columns)
    issues = unknown_columns(fname, table, columns)
    n_rows = pq.read_metadata(file).num_rows
    if n_rows == 0 and table.required:
        issues.append(Issue(fname, name, None, "has no data rows (a header only)"))
    missing = [c for c in table.column_names if c not in present]
    issues += [
        Issue(fname, name, c, "required column is missing")
        for c in missing
        if not table.column(c).nullable
    ]
    if any(not table.column(c).nullable for c in missing):
        return issues, frozenset()

    known = [c for c in table.column_names if c in present]
    ids = [c.name for c in table.columns if c.kind == "id" and c.name in present]
    flags = [f"{_suspect(c)} AS _suspect_{c}" for c in ids]
    raw = (
        f"(SELECT file_row_number, {', '.join(known + flags)} "
        f"FROM read_parquet({quoted(file)}, file_row_number = true))"
    )
    checks = [
        _Check(col.name, rule, bad, col.name if show is True else show or None, severity, raw)
        for col in table.columns
        if col.name in present
        for rule, bad, show, severity in _column_checks(col)
    ]
    # the raw scan counts the rows breaking each rule, and the suspect values of each id column
    # (trimmed from then on: a value with a control character fails anyway)
    suspect = [f"_suspect_{c}" for c in ids]
    sql = ", ".join(f"count(*) FILTER (WHERE {bad})" for bad in [c.bad for c in checks] + suspect)
    found = con.execute(f"SELECT {sql} FROM {raw}").fetchone() if sql else ()
    counts = dict(enumerate(found[: len(checks)]))
    trim = frozenset(c for c, n in zip(ids, found[len(checks) :], strict=True) if n)
    parsed = f"({parquet_view_sql(table, file, present, row_number=True, trim=trim)})"

    key_check = None
    if table.key:
        key_check = len(checks)
        keys = ", ".join(table.key)
        not_null = " AND ".join(f"{k} IS NOT NULL" for k in table.key)
        repeated = f"SELECT {keys} FROM {parsed} WHERE {not_null} GROUP BY ALL HAVING count(*) > 1"
        bad = f"{not_null} AND ({keys}) IN ({repeated})"
        checks.append(_Check(keys, "duplicate key (must be unique)", bad, None, "error", parsed))
    checks += [
        _Check(", ".join(r.columns), r.name, f"NOT coalesce({r.sql}, true)", None, "error", parsed)
        for r in table.rules
    ]
    # a second scan, of the parsed values, counts the rows breaking each row rule
    mine = [i for i in range(len(counts), len(checks)) if i != key_check]
    if mine:
        sql = ", ".join(f"count(*) FILTER (WHERE {checks[i].bad})" for i in mine)
        counts.update(zip(mine, con.execute(f"SELECT {sql} FROM {parsed}").fetchone(), strict=True))
    if key_check is not None:  # one hash aggregate; the rows only if a key repeats
        repeats = con.execute(f"SELECT count(*) FROM ({repeated})").fetchone()[0]
        sql = f"SELECT count(*) FROM {parsed} WHERE {checks[key_check].bad}"
        counts[key_check] = con.execute(sql).fetchone()[0] if repeats else 0
    for i, check in enumerate(checks):
        if counts[i]:
            rows, shown = _first_rows(con, check.relation, check.bad, check.show)
            issues.append(
                Issue(fname, name, check.column, check.rule, rows, counts[i], shown, check.severity)
            )
    return issues, trim


def check_references(
    con: duckdb.DuckDBPyConnection, files: dict[str, Path], names: list[str]
) -> list[Issue]:
    """Foreign keys of the tables `names` against the tables they refer to. `con` has a view
    of each table and, for each, `<name>_rows`: its rows with their 0-based `file_row_number`."""
    issues = []
    for name, col, ref_table, ref_col in foreign_keys(names):
        source = f"(SELECT file_row_number, {col.name} FROM {name}_rows)"
        bad = (
            f"{col.name} IS NOT NULL AND {col.name} NOT IN "
            f"(SELECT {ref_col} FROM {ref_table} WHERE {ref_col} IS NOT NULL)"
        )
        n = con.execute(f"SELECT count(*) FROM {source} WHERE {bad}").fetchone()[0]
        if n:
            rows, shown = _first_rows(con, source, bad, col.name)
            issues.append(reference_issue(files[name], name, col, rows, n, shown))
    return issues
