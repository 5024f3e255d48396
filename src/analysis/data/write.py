"""Writing datasets: contract tables to CSV or Parquet (with the contract's Arrow schema), plus
dataset.yaml."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from analysis.data.contract import TABLES, Table

__all__ = ["arrow_schema", "to_arrow", "write_dataset"]


def _to_storage(df: pd.DataFrame, table: Table, fmt: str) -> pd.DataFrame:
    out = df[table.column_names].copy()
    for col in table.columns:
        s = out[col.name]
        if col.kind == "month":
            out[col.name] = s.astype("str").where(s.notna())
        elif col.kind in ("date", "datetime"):
            s = pd.to_datetime(s)
            if fmt == "parquet":  # Parquet holds microseconds
                s = s.dt.floor("us").astype("datetime64[us]")
            if fmt == "csv":
                s = s.dt.strftime("%Y-%m-%d" if col.kind == "date" else "%Y-%m-%d %H:%M:%S")
            out[col.name] = s
        elif col.kind == "bool" and fmt == "csv":
            out[col.name] = s.map({True: "true", False: "false"})
    return out


_ARROW_TYPES = {
    "id": pa.string(),
    "text": pa.string(),
    "month": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "date": pa.timestamp("us"),
    "datetime": pa.timestamp("us"),
    "bool": pa.bool_(),
}


def arrow_schema(table: Table) -> pa.Schema:
    """The Parquet schema of a contract table (what `write_dataset` and the generator write)."""
    return pa.schema([(c.name, _ARROW_TYPES[c.kind]) for c in table.columns])


def to_arrow(df: pd.DataFrame, table: Table) -> pa.Table:
    """`df` (contract columns) as an Arrow table in the on-disk Parquet form."""
    data = _to_storage(df, table, "parquet")
    return pa.Table.from_pandas(data, schema=arrow_schema(table), preserve_index=False)


def write_dataset(
    tables: dict[str, pd.DataFrame], path: str | Path, *, meta: dict | None = None, fmt: str = "csv"
) -> Path:
    """Write `tables` (contract columns) to directory `path` as CSV or Parquet, plus dataset.yaml."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        table = TABLES[name]
        data = _to_storage(df, table, fmt)
        if fmt == "csv":
            data.to_csv(path / f"{name}.csv", index=False, encoding="utf-8")
        elif fmt == "parquet":
            pq.write_table(to_arrow(df, table), path / f"{name}.parquet")
        else:
            raise ValueError(f"format {fmt!r} is not csv or parquet")
    if meta is not None:
        (path / "dataset.yaml").write_text(
            yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return path
