"""A live PostgreSQL source (issue 20): `DATA=postgresql://...` reads the contract's tables from a
database, the usual home of a CRM replica.

`snapshot(url)` copies every contract table the database has (in the connection's search path;
only the contract's columns, each cast to its contract type in SQL) into Parquet files, streamed
in Arrow record batches through ADBC's PostgreSQL driver (a wheel that brings its own libpq), so a
table of millions of rows never sits in memory whole. The folder (under the cache,
build/cache/postgres/<digest of the URL>) is written beside the last one and swapped in when
complete, with a dataset.yaml from the database's optional `dataset` table (one row: name,
timezone, currency, as_of). `load_dataset` then validates it exactly as a folder of files, and
the batch renders every report from it; an unchanged database gives the same content hash, so the
reports are kept.

Credentials come from libpq's own places (PGPASSWORD, ~/.pgpass, a service file with
`postgresql:///?service=crm`), never from the URL: a password there would be in the shell history,
the process list and the report's appendix, so it is refused.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from analysis.data.contract import TABLES

__all__ = ["is_url", "check_url", "snapshot", "SCHEMES"]

SCHEMES = ("postgresql://", "postgres://")
# the contract's column kinds as PostgreSQL types: whatever the replica's types (numeric, varchar,
# timestamptz), the files get the contract's
_CASTS = {
    "id": "text",
    "text": "text",
    "float": "double precision",
    "int": "bigint",
    "date": "date",
    "datetime": "timestamp",
    "bool": "boolean",
}
_META = ("name", "timezone", "currency", "as_of")


def is_url(data: str | Path) -> bool:
    """Whether DATA names a PostgreSQL database rather than a folder."""
    return str(data).startswith(SCHEMES)


def check_url(url: str) -> str:
    """`url` if it holds no password; else a ValueError saying where the password goes."""
    if urlsplit(url).password is not None or "password=" in url.lower():
        raise ValueError(
            "the database URL holds a password; put it in PGPASSWORD, ~/.pgpass or a "
            "service file (postgresql:///?service=NAME), never in the URL: it would be in the "
            "shell history, the process list and the report"
        )
    return url


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _present(cursor) -> dict[str, dict[str, str]]:
    """The contract tables the connection's search path finds: their columns and types."""
    cursor.execute(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
        "WHERE c.table_schema = ANY (current_schemas(false))"
    )
    found: dict[str, dict[str, str]] = {}
    for table, column, data_type in cursor.fetchall():
        if table in TABLES or table == "dataset":
            found.setdefault(table, {})[column] = data_type
    return found


def _select(column: str, kind: str, data_type: str) -> str:
    """The SQL that reads `column` as the contract's `kind` (a month is "YYYY-MM": from a date
    or timestamp column, its first day's month)."""
    name = _quote(column)
    if kind == "month" and (data_type == "date" or data_type.startswith("timestamp")):
        return f"to_char({name}, 'YYYY-MM') AS {name}"
    return f"{name}::{_CASTS.get(kind, 'text')} AS {name}"


def _copy_table(cursor, name: str, columns: dict[str, str], target: Path) -> int:
    """Stream table `name` (its contract columns, cast) into `target` as Parquet; its rows."""
    import pyarrow.parquet as pq

    spec = TABLES[name]
    wanted = [c for c in spec.columns if c.name in columns]
    select = ", ".join(_select(c.name, c.kind, columns[c.name]) for c in wanted)
    # in key order: the same database gives the same files (and content hash), so an unchanged
    # source re-renders nothing
    order = ", ".join(_quote(k) for k in spec.key if k in columns)
    cursor.execute(f"SELECT {select} FROM {_quote(name)}" + (f" ORDER BY {order}" if order else ""))
    reader = cursor.fetch_record_batch()
    rows = 0
    with pq.ParquetWriter(target, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def _meta(cursor, present: dict[str, set[str]], url: str) -> dict:
    """dataset.yaml's keys: the `dataset` table's one row, else the database's name."""
    meta: dict = {}
    columns = [c for c in _META if c in present.get("dataset", {})]
    if columns:
        cursor.execute(f"SELECT {', '.join(_quote(c) for c in columns)} FROM dataset LIMIT 2")
        rows = cursor.fetchall()
        if len(rows) != 1:
            raise ValueError(f"{redacted(url)}: table dataset must have one row ({len(rows)})")
        meta = {
            c: (str(v) if v is not None else None) for c, v in zip(columns, rows[0], strict=True)
        }
        meta = {k: v for k, v in meta.items() if v is not None}
    if "name" not in meta:
        cursor.execute("SELECT current_database()")
        meta["name"] = cursor.fetchone()[0]
    meta["source"] = redacted(url)
    return meta


def redacted(url: str) -> str:
    """The URL without user information (what the reports and logs may show).

    >>> redacted("postgresql://ann@db.example.com:5432/crm?sslmode=require")
    'postgresql://db.example.com:5432/crm?sslmode=require'
    """
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=netloc).geturl()


def snapshot(url: str, cache_root: Path | None = None) -> Path:
    """Copy the database's contract tables into a Parquet folder and return it (see the module
    doc). Raises ValueError for a URL with a password or a database without the required
    tables, and the driver's error (naming the server) when it cannot connect."""
    import adbc_driver_postgresql.dbapi as pg

    from analysis.data.cache import cache_dir
    from analysis.data.contract import REQUIRED_TABLES
    from analysis.paths import BUILD_DIR

    check_url(url)
    root = cache_root or (cache_dir() or BUILD_DIR / "cache") / "postgres"
    target = root / hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=root))
    try:
        with pg.connect(url) as conn, conn.cursor() as cursor:
            present = _present(cursor)
            missing = [t for t in REQUIRED_TABLES if t not in present]
            if missing:
                raise ValueError(
                    f"{redacted(url)}: no table(s) {', '.join(missing)} in the search path "
                    f"(required: {', '.join(REQUIRED_TABLES)})"
                )
            for name in TABLES:
                if name in present:
                    _copy_table(cursor, name, present[name], staging / f"{name}.parquet")
            meta = _meta(cursor, present, url)
        (staging / "dataset.yaml").write_text(
            yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        if target.exists():
            os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target
