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


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _for_duckdb(df: pd.DataFrame) -> pd.DataFrame:
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
            con.execute(
                f"CREATE VIEW {name} AS SELECT * FROM read_parquet({_quoted(ds.tables.file(name))})"
            )
        else:
            con.register(name, _for_duckdb(frame))
    return con
