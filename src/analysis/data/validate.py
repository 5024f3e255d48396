"""Validation against the contract: parse each column to its kind and check every rule.

Validation is vectorised pandas rather than pandera: on pandas 3, pandera 0.35 reported a failed
coercion twice and then ran the value checks on the uncoerced column (a TypeError as the
"failure case"). The contract is small, so checking it directly gives one clear message per
(table, column, rule), names the file and rows, and collects every problem before raising.
The in-place validator for big Parquet datasets (`analysis.data.pushdown`) gives the same
messages from the same `Issue`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from analysis.data.contract import Column, Table, foreign_keys

__all__ = [
    "MAX_ROWS_SHOWN",
    "FORMULA_SQL",
    "Issue",
    "DataValidationError",
    "parse_column",
    "validate_table",
    "check_references",
    "reference_issue",
    "errors_of",
    "unknown_columns",
    "FUTURE",
    "CONTROL",
    "CONTROL_CHARS",
    "control_checked",
    "future_limit",
    "with_lines",
]

MAX_ROWS_SHOWN = 5
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


@dataclass(frozen=True)
class Issue:
    """One broken rule: where (file, table, column), which rule, and the offending rows.

    `rows` are 1-based data rows (row 1 is the first record after the header); `lines` are the
    same records' first physical lines in the source file (they differ when a quoted field spans
    lines), filled for CSV and spreadsheet sources. A "warning" does not fail validation.
    """

    file: str
    table: str
    column: str | None
    rule: str
    rows: tuple[int, ...] = ()
    n_rows: int = 0
    values: tuple[str, ...] = ()
    severity: Literal["error", "warning"] = "error"
    lines: tuple[int, ...] = ()

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        flag = "warning: " if self.severity == "warning" else ""
        text = f"{self.file}: {where}: {flag}{self.rule}"
        if self.n_rows:
            text += " — rows " + ", ".join(str(r) for r in self.rows)
            if self.lines:
                text += " (line " if len(self.lines) == 1 else " (lines "
                text += ", ".join(str(n) for n in self.lines) + ")"
            if self.n_rows > len(self.rows):
                text += f", first {len(self.rows)} of {self.n_rows}"
            if self.values:
                text += " — values " + ", ".join(self.values)
        return text


class DataValidationError(ValueError):
    """A dataset broke the contract. `issues` holds every problem found (errors, then warnings),
    not only the first."""

    def __init__(self, path: Path, issues: list[Issue], subject: str | None = None):
        self.path = path
        errors = [i for i in issues if i.severity == "error"]
        self.issues = errors + [i for i in issues if i.severity != "error"]
        lines = [f"{subject or f'dataset {path}'} failed validation ({len(errors)} problem(s)):"]
        lines += [f"  - {i}" for i in self.issues]
        super().__init__("\n".join(lines))


def _rows(mask: pd.Series, source_rows: np.ndarray | None = None) -> tuple[tuple[int, ...], int]:
    positions = np.flatnonzero(mask.to_numpy())
    if source_rows is not None:  # imported rows: report the source file's rows
        positions = source_rows[positions] - 1
    return tuple(int(p) + 1 for p in positions[:MAX_ROWS_SHOWN]), int(len(positions))


def _values(raw: pd.Series, mask: pd.Series) -> tuple[str, ...]:
    return tuple(repr(v) for v in raw[mask].head(MAX_ROWS_SHOWN).tolist())


UNKNOWN_COLUMN = "unknown column (not in the contract; ignored)"
# an event's time (a datetime column) cannot be later than the export: one dated 2100 would
# make 2099-12 the data's latest month (plans, like expected_close_date, are dates: not checked)
FUTURE = "is in the future (after tomorrow): a recorded event cannot be"


# NUL and the other C0 controls (tab, line feed and carriage return apart) are no part of an id
# or a name: "a1\x00" would fail every reference to "a1" without saying why, and an escape
# sequence would reach terminals and documents
CONTROL = "contains a control character (such as NUL): ids and text must be printable"
CONTROL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def control_checked(col: Column) -> bool:
    """Whether the CONTROL rule is `col`'s own: an id or text column that no enum or pattern
    constrains (an enum or a pattern already refuses a control character). Both validators ask."""
    return col.kind in ("id", "text") and col.enum is None and col.pattern is None


def future_limit() -> pd.Timestamp:
    """Tomorrow at 00:00 (UTC, naive like the data): any event at or after it is an error."""
    return pd.Timestamp.now(tz="UTC").tz_localize(None).normalize() + pd.Timedelta(days=1)


def unknown_columns(file: str, table: Table, columns: list[str]) -> list[Issue]:
    """Warnings for the columns a file has beyond the contract: one per column, or, past
    MAX_ROWS_SHOWN of them (an export with thousands of custom fields), one that counts them
    and names the first few."""
    extra = [str(c) for c in columns if c not in table.column_names]
    if len(extra) <= MAX_ROWS_SHOWN:
        return [Issue(file, table.name, c, UNKNOWN_COLUMN, severity="warning") for c in extra]
    shown = ", ".join(extra[:MAX_ROWS_SHOWN])
    rule = f"{len(extra)} unknown columns (not in the contract; ignored): {shown}, ..."
    return [Issue(file, table.name, None, rule, severity="warning")]


def with_lines(issues: list[Issue], lines_of: dict[str, np.ndarray]) -> list[Issue]:
    """Fill `lines` of the issues whose file has a record -> line map."""
    out = []
    for issue in issues:
        starts = lines_of.get(issue.file)
        if starts is not None and issue.rows:
            lines = tuple(int(starts[r - 1]) for r in issue.rows if r - 1 < len(starts))
            issue = replace(issue, lines=lines)
        out.append(issue)
    return out


# a cell a spreadsheet would run as a formula (CSV injection): kept as text, flagged
FORMULA = r"^\s*[=+\-@][^\d\s.,%-].*"
# the same test in RE2 for DuckDB (analysis.data.pushdown); pandas only tries values that start with
# =, +, - or @, so leading whitespace never matches there either
FORMULA_SQL = r"^[=+\-@][^\p{Nd}\p{Z}\s\x0b.,%-]"


def parse_column(raw: pd.Series, col: Column) -> pd.Series:
    """Coerce one column to its contract kind; unparseable values become null (caught later)."""
    kind = col.kind
    if kind in ("id", "text"):
        out = raw.astype("str").where(raw.notna())
        return out.str.strip() if kind == "id" else out
    if kind in ("int", "float"):
        num = pd.to_numeric(raw, errors="coerce")
        if pd.api.types.is_float_dtype(num):
            # inf, -Infinity and 1e400 are numbers to pandas but no amount or count: not valid
            num = num.where(np.isfinite(num))
        if kind == "int":
            whole = num.isna() | (num == np.floor(num))
            num = num.where(whole)
            return num.astype("Int64")
        return num.astype("float64")
    if kind in ("date", "datetime"):
        if pd.api.types.is_datetime64_any_dtype(raw):
            out = raw
        else:
            out = pd.to_datetime(raw, errors="coerce", format="ISO8601")
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        out = out.astype("datetime64[us]")
        return out.dt.normalize() if kind == "date" else out
    if kind == "month":
        if isinstance(raw.dtype, pd.PeriodDtype):
            return raw.astype("period[M]")
        text = raw.astype("str").where(raw.notna())
        ok = text.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").fillna(False).astype(bool)
        return pd.PeriodIndex(text.where(ok), freq="M").to_series(index=raw.index)
    if kind == "bool":
        if pd.api.types.is_bool_dtype(raw):
            return raw.astype("boolean")
        text = raw.astype("str").str.strip().str.lower().where(raw.notna())
        out = pd.Series(pd.NA, index=raw.index, dtype="boolean")
        out[text.isin(_TRUE)] = True
        out[text.isin(_FALSE)] = False
        return out
    raise AssertionError(f"unknown column kind {kind}")  # contract bug, not input


def validate_table(
    file: Path | str,
    table: Table,
    raw: pd.DataFrame,
    source_rows: np.ndarray | None = None,
) -> tuple[pd.DataFrame, list[Issue]]:
    """Parse and check one table. `source_rows` (1-based, one per row of `raw`) says which row of
    the source file each row came from, when `raw` was mapped from another file (the importer)."""
    issues: list[Issue] = []
    fname = str(file)
    issues += unknown_columns(fname, table, list(raw.columns))
    if raw.empty and table.required:
        issues.append(Issue(fname, table.name, None, "has no data rows (a header only)"))
    missing = [c for c in table.column_names if c not in raw.columns]
    for c in missing:
        col = table.column(c)
        if col.nullable:
            # An optional column may be left out entirely: it is read as all-null.
            raw[c] = pd.Series(pd.NA, index=raw.index, dtype="object")
        else:
            issues.append(Issue(fname, table.name, c, "required column is missing"))
    if any(not table.column(c).nullable for c in missing):
        return raw, issues

    raw = raw.reset_index(drop=True)
    out = pd.DataFrame(index=raw.index)

    def flag(
        column: str,
        rule: str,
        bad: pd.Series,
        values: pd.Series | None = None,
        severity: str = "error",
    ) -> None:
        if bad.any():
            rows, n = _rows(bad, source_rows)
            shown = _values(values, bad) if values is not None else ()
            issues.append(Issue(fname, table.name, column, rule, rows, n, shown, severity))

    for col in table.columns:
        src = raw[col.name]
        parsed = parse_column(src, col)
        present = src.notna() & ~(src.astype("str").str.strip() == "")
        flag(col.name, f"is not a valid {col.kind}", present & parsed.isna(), src)
        if not col.nullable:
            flag(col.name, "must not be empty", ~present)
        elif col.empty_note:
            flag(col.name, col.empty_note, ~present, severity="warning")
        ok = parsed.notna()
        if control_checked(col) and ok.any():
            control = parsed.str.contains(CONTROL_CHARS, regex=True).fillna(False).astype(bool)
            flag(col.name, CONTROL, ok & control, src)
        if col.enum is not None:
            flag(
                col.name, "must be one of " + ", ".join(col.enum), ok & ~parsed.isin(col.enum), src
            )
        if col.ge is not None:
            flag(
                col.name,
                f"must be >= {col.ge:g}",
                ok & (parsed < col.ge).fillna(False).astype(bool),
                src,
            )
        if col.le is not None:
            flag(
                col.name,
                f"must be <= {col.le:g}",
                ok & (parsed > col.le).fillna(False).astype(bool),
                src,
            )
        if col.kind == "datetime":
            shown = parsed.dt.strftime("%Y-%m-%d %H:%M:%S")  # as written, whatever the source
            flag(col.name, FUTURE, ok & (parsed >= future_limit()).fillna(False), shown)
        if col.pattern is not None and col.kind in ("id", "text"):
            matches = parsed.str.fullmatch(col.pattern).fillna(False).astype(bool)
            flag(col.name, f"must match {col.pattern}", ok & ~matches, src)
        if col.kind == "text" and ok.any():
            # a vectorised first look (pyarrow), the regex only on the few candidates
            formula = parsed.str.startswith(("=", "+", "-", "@")).fillna(False).astype(bool)
            if formula.any():
                formula[formula] = parsed[formula].str.match(FORMULA).fillna(False)
            flag(
                col.name,
                "looks like a spreadsheet formula: kept as text and never evaluated (a "
                "spreadsheet opening this file might run it)",
                formula,
                src,
                severity="warning",
            )
        out[col.name] = parsed

    if table.key:
        keys = list(table.key)
        dup = out.duplicated(keys, keep=False) & out[keys].notna().all(axis=1)
        flag(", ".join(keys), "duplicate key (must be unique)", dup)
    for rule in table.rules:
        flag(", ".join(rule.columns), rule.name, ~rule.check(out).fillna(True).astype(bool))
    return out, issues


def check_references(
    files: dict[str, Path] | dict[str, str],
    tables: dict[str, pd.DataFrame],
    source_rows: dict[str, np.ndarray] | None = None,
) -> list[Issue]:
    issues = []
    for name, col, ref_table, ref_col in foreign_keys(tables):
        values = tables[name][col.name]
        bad = values.notna() & ~values.isin(tables[ref_table][ref_col])
        if bad.any():
            rows, n = _rows(bad, (source_rows or {}).get(name))
            shown = _values(values, bad)
            issues.append(reference_issue(files[name], name, col, rows, n, shown))
    return issues


def reference_issue(file, table: str, col: Column, rows, n_rows: int, values) -> Issue:
    """The Issue of `n_rows` rows whose `col` names a row its referenced table lacks."""
    return Issue(
        str(file), table, col.name, f"refers to a missing {col.references}", rows, n_rows, values
    )


def errors_of(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == "error"]
