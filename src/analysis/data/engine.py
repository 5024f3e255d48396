"""DuckDB over a dataset's tables: where the heavy aggregation runs (KPIs, validation at scale).

`connect(ds)` opens an embedded, in-memory DuckDB database with one view per table of the
dataset. A table already in memory (a pandas frame) is scanned in place; a table left on disk (a
lazily loaded Parquet dataset, see `analysis.data.dataset.load_dataset`) is read by DuckDB straight from
its Parquet file, so only the aggregated result ever reaches pandas. Either way the SQL that runs
is the same, which is what keeps one implementation per KPI for the sample and for a national
company's 50 million activities.

Month arithmetic uses ordinals (months since 1970-01, as `pandas.Period.ordinal`): the macros
`month_ord(timestamp)`, `month_ord_text('YYYY-MM')` and `month_start(ordinal)` are defined on every
connection.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from analysis.data.contract import TABLES, Column, Table

__all__ = ["connect", "new_connection", "register_ids", "sql_timestamp", "MEMORY_LIMIT"]

# DuckDB spills to disk beyond this. On the 300-team benchmark company (docs/scale.md) 1 GB
# costs the KPI table 14.8 s instead of 12.9 s at 4 GB and the validation nothing (41.8 s), and
# keeps a team's command under 1.5 GB (2.6 GB at 4 GB: DuckDB fills what it is given).
MEMORY_LIMIT = os.environ.get("AEM_DUCKDB_MEMORY", "1GB")


def sql_timestamp(value) -> str:
    """A timestamp (or anything `pandas.Timestamp` reads) as a DuckDB literal.

    >>> sql_timestamp("2026-10-01")
    "TIMESTAMP '2026-10-01 00:00:00'"
    """
    return f"TIMESTAMP '{pd.Timestamp(value)}'"


_MACROS = [
    "CREATE MACRO month_ord(ts) AS (year(ts) - 1970) * 12 + month(ts) - 1",
    "CREATE MACRO month_ord_text(s) AS "
    "(CAST(s[1:4] AS INTEGER) - 1970) * 12 + CAST(s[6:7] AS INTEGER) - 1",
    "CREATE MACRO month_start(m) AS TIMESTAMP '1970-01-01' + to_months(CAST(m AS INTEGER))",
]


def new_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the month macros, memory-limited, spilling to a temp dir."""
    con = duckdb.connect(
        config={
            "memory_limit": MEMORY_LIMIT,
            "preserve_insertion_order": False,
            # spill to the system's temp folder, not to .tmp/ in whatever folder we run in
            "temp_directory": str(Path(tempfile.gettempdir()) / "aem-duckdb"),
        }
    )
    # no progress bars on the stderr of long queries (at scale); a kernel, where DuckDB draws
    # none without ipywidgets, refuses the setting
    with contextlib.suppress(duckdb.InvalidInputException):
        con.execute("SET enable_progress_bar = false")
    for sql in _MACROS:
        con.execute(sql)
    return con


_SQL_TYPES = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "month": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "date": "TIMESTAMP",
    "datetime": "TIMESTAMP",
    "bool": "BOOLEAN",
}


def quoted(path: Path) -> str:
    """`path` as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


# What Python's str.strip() removes, i.e. what the pandas validator strips from ids (a test
# checks the list against str.isspace). As an RE2 character class, and as DuckDB trim() characters.
WHITESPACE_CHARS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
WS_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE_CHARS) + "]"
_TRIM = " || ".join(f"chr({ord(c)})" for c in WHITESPACE_CHARS)


def parsed_sql(col: Column, trim: bool = True) -> str:
    """The column as the contract reads it (ids trimmed, dates at midnight), from its raw value
    in a Parquet file whose types are native (see `analysis.data.pushdown.native`). `trim=False`
    leaves an id as it is, for a column known to hold no surrounding whitespace (trimming 50
    million ids costs seconds)."""
    name = col.name
    if col.kind == "id":
        return f"trim({name}, {_TRIM})" if trim else name
    if col.kind == "date":
        return f"CAST(date_trunc('day', {name}) AS TIMESTAMP)"
    if col.kind in ("datetime", "float", "int"):
        return f"CAST({name} AS {_SQL_TYPES[col.kind]})"
    return name


def parquet_view_sql(
    table: Table,
    file: Path,
    present: Collection[str],
    *,
    row_number: bool = False,
    trim: Collection[str] | None = None,
) -> str:
    """A SELECT of every contract column of `table` from its Parquet `file` (whose columns are
    `present`), parsed; an optional column the file leaves out is NULL. With `row_number`, also
    `file_row_number` (0-based row of the file). `trim`: the id columns to trim (default all)."""
    cols = [
        f"{parsed_sql(c, trim is None or c.name in trim)} AS {c.name}"
        if c.name in present
        else f"CAST(NULL AS {_SQL_TYPES[c.kind]}) AS {c.name}"
        for c in table.columns
    ]
    if row_number:
        cols.insert(0, "file_row_number")
    option = ", file_row_number = true" if row_number else ""
    return f"SELECT {', '.join(cols)} FROM read_parquet({quoted(file)}{option})"


def register_ids(con: duckdb.DuckDBPyConnection, name: str, column: str, ids) -> None:
    """Register table `name` with one text column `column` holding the distinct `ids` (typed as
    text even when there are none: an empty untyped column is a DOUBLE to DuckDB, and comparing
    it with an id fails)."""
    values = pd.Series(sorted({str(i) for i in ids}), dtype="str")
    con.register(name, pd.DataFrame({column: values}))


def for_duckdb(df: pd.DataFrame) -> pd.DataFrame:
    """Period columns (months) as 'YYYY-MM' text, the way they are stored on disk."""
    periods = [c for c in df.columns if isinstance(df[c].dtype, pd.PeriodDtype)]
    if not periods:
        return df
    return df.assign(**{c: df[c].astype("str").where(df[c].notna()) for c in periods})


def create_parquet_view(
    con: duckdb.DuckDBPyConnection,
    name: str,
    file: Path,
    trim: Collection[str] | None,
    *,
    rows: bool = False,
) -> None:
    """View `name` of contract table `name` parsed from its Parquet `file` (`parquet_view_sql`);
    with `rows`, also `<name>_rows`, the same with each row's 0-based `file_row_number`."""
    table, present = TABLES[name], pq.read_schema(file).names
    con.execute(f"CREATE VIEW {name} AS {parquet_view_sql(table, file, present, trim=trim)}")
    if rows:
        numbered = parquet_view_sql(table, file, present, row_number=True, trim=trim)
        con.execute(f"CREATE VIEW {name}_rows AS {numbered}")


class _Tables(Protocol):
    """What `connect` reads of a dataset's tables (`analysis.data.dataset.Tables`)."""

    def __iter__(self) -> Iterator[str]: ...
    def loaded(self, name: str) -> pd.DataFrame | None: ...
    def file(self, name: str) -> Path: ...
    def lazy(self, name: str) -> bool: ...
    def trim(self, name: str) -> frozenset[str] | None: ...


class _Dataset(Protocol):
    tables: _Tables


def connect(
    ds: _Dataset, tables: list[str] | None = None, *, files_first: bool = False
) -> duckdb.DuckDBPyConnection:
    """A connection with a view named after each table of `ds` (or only `tables`).

    Tables in memory are registered as pandas frames (not copied); tables of a lazy dataset that
    have not been loaded are views over their Parquet files. With `files_first`, a lazy table
    is read from its file even when this process has loaded it (what the views hold then does
    not depend on which tables happened to be loaded: `reports.dependencies` hashes them).
    """
    con = new_connection()
    for name in ds.tables:
        if tables is not None and name not in tables:
            continue
        frame = ds.tables.loaded(name)
        on_disk = frame is None or (files_first and ds.tables.lazy(name))
        if on_disk:
            create_parquet_view(con, name, ds.tables.file(name), ds.tables.trim(name))
        else:
            con.register(name, for_duckdb(frame))
    return con
