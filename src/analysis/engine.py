"""DuckDB over a dataset's tables: where the heavy aggregation runs (KPIs, validation at scale).

`connect(ds)` opens an embedded, in-memory DuckDB database with one view per table of the
dataset. A table already in memory (a pandas frame) is scanned in place; a table left on disk (a
lazily loaded Parquet dataset, see `analysis.io.load_dataset`) is read by DuckDB straight from
its Parquet file, so only the aggregated result ever reaches pandas. Either way the SQL that runs
is the same, which is what keeps one implementation per KPI for the sample and for a national
company's 50 million activities.

Month arithmetic uses ordinals (months since 1970-01, as `pandas.Period.ordinal`): the macros
`month_ord(timestamp)`, `month_ord_text('YYYY-MM')` and `month_start(ordinal)` are defined on every
connection.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from analysis.contract import TABLES, Column, Table

if TYPE_CHECKING:
    from analysis.io import Dataset

__all__ = ["connect", "new_connection", "MEMORY_LIMIT"]

# DuckDB spills to disk beyond this; the KPI engine is sized to stay well under 8 GB in total.
MEMORY_LIMIT = os.environ.get("AEM_DUCKDB_MEMORY", "4GB")

_MACROS = [
    "CREATE MACRO month_ord(ts) AS (year(ts) - 1970) * 12 + month(ts) - 1",
    "CREATE MACRO month_ord_text(s) AS "
    "(CAST(s[1:4] AS INTEGER) - 1970) * 12 + CAST(s[6:7] AS INTEGER) - 1",
    "CREATE MACRO month_start(m) AS TIMESTAMP '1970-01-01' + to_months(CAST(m AS INTEGER))",
]


def new_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the month macros, memory-limited, spilling to a temp dir."""
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "preserve_insertion_order": False})
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


# the ASCII whitespace Python's str.strip() removes (DuckDB's trim() alone removes only spaces)
WHITESPACE = "' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)"


def parsed_sql(col: Column) -> str:
    """The column as the contract reads it (ids trimmed, dates at midnight), from its raw value
    in a Parquet file whose types are native (see `analysis.pushdown.native`)."""
    name = col.name
    if col.kind == "id":
        return f"trim({name}, {WHITESPACE})"
    if col.kind == "date":
        return f"CAST(date_trunc('day', {name}) AS TIMESTAMP)"
    if col.kind in ("datetime", "float", "int"):
        return f"CAST({name} AS {_SQL_TYPES[col.kind]})"
    return name


def parquet_view_sql(
    table: Table, file: Path, present: set[str], *, row_number: bool = False
) -> str:
    """A SELECT of every contract column of `table` from its Parquet `file` (whose columns are
    `present`), parsed; an optional column the file leaves out is NULL. With `row_number`, also
    `file_row_number` (0-based row of the file)."""
    cols = [
        f"{parsed_sql(c)} AS {c.name}"
        if c.name in present
        else f"CAST(NULL AS {_SQL_TYPES[c.kind]}) AS {c.name}"
        for c in table.columns
    ]
    if row_number:
        cols.insert(0, "file_row_number")
    option = ", file_row_number = true" if row_number else ""
    return f"SELECT {', '.join(cols)} FROM read_parquet({quoted(file)}{option})"


def for_duckdb(df: pd.DataFrame) -> pd.DataFrame:
    """Period columns (months) as 'YYYY-MM' text, the way they are stored on disk."""
    periods = [c for c in df.columns if isinstance(df[c].dtype, pd.PeriodDtype)]
    if not periods:
        return df
    return df.assign(**{c: df[c].astype("str").where(df[c].notna()) for c in periods})


def connect(ds: Dataset, tables: list[str] | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with a view named after each table of `ds` (or only `tables`).

    Tables in memory are registered as pandas frames (not copied); tables of a lazy dataset that
    have not been loaded are views over their Parquet files.
    """
    con = new_connection()
    for name in ds.tables:
        if tables is not None and name not in tables:
            continue
        frame = ds.tables.loaded(name)
        if frame is None:
            file = ds.tables.file(name)
            present = set(pq.read_schema(file).names)
            con.execute(f"CREATE VIEW {name} AS {parquet_view_sql(TABLES[name], file, present)}")
        else:
            con.register(name, for_duckdb(frame))
    return con
