"""The only place that reads or writes datasets. Every load validates against the contract.

Validation is vectorised pandas rather than pandera: on pandas 3, pandera 0.35 reports a failed
coercion twice and then runs the value checks on the uncoerced column (a TypeError as the
"failure case"). The contract is small, so checking it directly gives one clear message per
(table, column, rule), names the file and rows, and collects every problem before raising.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from analysis.data import cache, engine
from analysis.data.contract import REQUIRED_TABLES, TABLES, Column, Table, foreign_keys
from analysis.months import latest_complete_month, parse_month

__all__ = [
    "Dataset",
    "Tables",
    "DataValidationError",
    "Issue",
    "EncodingProblem",
    "read_text_table",
    "csv_record_lines",
    "load_dataset",
    "write_dataset",
    "dataset_files",
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


class Tables(Mapping[str, pd.DataFrame]):
    """Table name -> DataFrame, in contract order. A table of a lazy dataset (validated on disk,
    see `load_dataset`) is read from its Parquet file on first access; until then
    `analysis.data.engine` queries the file directly."""

    def __init__(
        self,
        frames: Mapping[str, pd.DataFrame] | None = None,
        lazy: dict[str, Path] | None = None,
        trim: dict[str, frozenset[str]] | None = None,
    ):
        self._frames = dict(frames or {})
        self._lazy = dict(lazy or {})
        self._trim = dict(trim or {})  # lazy table -> its id columns that need trimming

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            if name not in self._lazy:
                raise KeyError(name)
            self._frames[name] = _read_validated(self._lazy[name], TABLES[name])
        return self._frames[name]

    def __contains__(self, name: object) -> bool:
        return name in self._frames or name in self._lazy

    def __iter__(self):
        return (t for t in TABLES if t in self)

    def __len__(self) -> int:
        return len(self._frames.keys() | self._lazy.keys())

    def loaded(self, name: str) -> pd.DataFrame | None:
        """The table if it is in memory, else None (it is still on disk)."""
        return self._frames.get(name)

    def file(self, name: str) -> Path:
        """The Parquet file of a table not yet in memory."""
        return self._lazy[name]

    def rows(self, name: str) -> int:
        """The table's row count, without reading a table still on disk."""
        frame = self._frames.get(name)
        return len(frame) if frame is not None else pq.read_metadata(self._lazy[name]).num_rows

    def trim(self, name: str) -> frozenset[str] | None:
        """The id columns of a lazy table whose values have surrounding whitespace (None: not
        known, trim every id column)."""
        return self._trim.get(name)


def _read_validated(file: Path, table: Table) -> pd.DataFrame:
    """A table that passed validation on disk, read with the contract's types."""
    raw = pd.read_parquet(file)
    out = {}
    for col in table.columns:
        src = (
            raw[col.name] if col.name in raw else pd.Series(pd.NA, index=raw.index, dtype="object")
        )
        out[col.name] = _parse_column(src, col)
    return pd.DataFrame(out, index=raw.index)


@dataclass
class Dataset:
    """A validated dataset: one DataFrame per table present, plus metadata from dataset.yaml.

    `tables` maps each table present to its DataFrame (a plain dict given here is wrapped in
    `Tables`); in a lazy dataset, big tables stay on disk until first accessed.
    """

    path: Path
    tables: Tables
    name: str
    timezone: str = "Asia/Bangkok"
    currency: str = "THB"
    as_of: pd.Timestamp | None = None
    content_hash: str = ""
    files: dict[str, Path] = field(default_factory=dict)
    warnings: tuple[Issue, ...] = ()  # what validation flagged without failing (unknown columns...)

    def __post_init__(self):
        if not isinstance(self.tables, Tables):
            self.tables = Tables(self.tables)

    def has(self, table: str) -> bool:
        return table in self.tables

    def __getitem__(self, table: str) -> pd.DataFrame:
        if table not in self.tables:
            raise KeyError(
                f"dataset {self.path} has no table {table!r} (file {table}.csv or .parquet)"
            )
        return self.tables[table]

    @property
    def latest_complete_month(self) -> pd.Period:
        """The last month fully covered by the data (see `months.latest_complete_month`)."""
        return latest_complete_month(self.as_of)

    def resolve_month(self, month: str | None, *, what: str = "month") -> pd.Period:
        """`month` ('YYYY-MM') parsed, or the latest complete month when None. A month the data
        does not fully cover is an error naming `what`."""
        latest = self.latest_complete_month
        the_month = parse_month(month, what=what) if month else latest
        if the_month > latest:
            raise ValueError(
                f"{what}: {the_month} is not complete in {self.path} (data as of "
                f"{self.as_of.date()}; the latest complete month is {latest})"
            )
        return the_month


def dataset_files(path: Path) -> dict[str, Path]:
    """Map table name -> file for the contract tables present in `path`."""
    found: dict[str, Path] = {}
    for name in TABLES:
        candidates = [path / f"{name}.csv", path / f"{name}.parquet"]
        present = [p for p in candidates if p.is_file()]
        if len(present) > 1:
            raise DataValidationError(
                path, [Issue(str(path), name, None, "both a .csv and a .parquet file; keep one")]
            )
        if present:
            found[name] = present[0]
    return found


def _rows(mask: pd.Series, source_rows: np.ndarray | None = None) -> tuple[tuple[int, ...], int]:
    positions = np.flatnonzero(mask.to_numpy())
    if source_rows is not None:  # imported rows: report the source file's rows
        positions = source_rows[positions] - 1
    return tuple(int(p) + 1 for p in positions[:MAX_ROWS_SHOWN]), int(len(positions))


def _values(raw: pd.Series, mask: pd.Series) -> tuple[str, ...]:
    return tuple(repr(v) for v in raw[mask].head(MAX_ROWS_SHOWN).tolist())


class EncodingProblem(ValueError):
    """A text file is not in the expected encoding; the message says what it looks like."""


def _looks_thai_windows(data: bytes) -> bool:
    """True when the bytes decode as cp874 (TIS-620 + Windows extras) into mostly Thai letters."""
    try:
        text = data.decode("cp874")
    except UnicodeDecodeError:
        return False
    high = [c for c in text if ord(c) > 127]
    return bool(high) and sum("\u0e01" <= c <= "\u0e5b" for c in high) >= 0.8 * len(high)


def decode_problem(file: Path, exc: UnicodeDecodeError, expected: str = "UTF-8") -> str:
    """Why `file` did not decode, in words: where the bad byte is and what the text looks like
    (Thai TIS-620 / Windows-874 is named so the fix is obvious; else charset-normalizer's
    guess)."""
    from charset_normalizer import from_bytes

    data = file.read_bytes()
    line = data.count(b"\n", 0, exc.start) + 1
    where = f"byte 0x{data[exc.start]:02x} at offset {exc.start}, line {line}"
    text = f"is not {expected} text ({where})"
    if _looks_thai_windows(data[: 1 << 20]):
        return (
            text + ": it looks like Thai TIS-620 / Windows-874 (cp874); save it as UTF-8, or "
            "import it with `encoding: cp874` in the mapping"
        )
    guess = from_bytes(data[: 1 << 20]).best()
    if guess is not None:
        return text + f": it may be {guess.encoding}; save it as UTF-8"
    return text


def read_text_table(file: Path, encoding: str = "utf-8-sig", **kw) -> pd.DataFrame:
    """A CSV as text columns (nothing parsed, nothing evaluated: "=cmd..." stays a string).

    Raises EncodingProblem naming the encoding the file seems to be in, and ValueError for an
    empty file."""
    if file.stat().st_size == 0:
        raise ValueError("file is empty (not even a header row)")
    try:
        return pd.read_csv(
            file, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding, **kw
        )
    except UnicodeDecodeError as exc:
        label = (
            "UTF-8" if encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig") else encoding
        )
        raise EncodingProblem(decode_problem(file, exc, label)) from None
    except pd.errors.EmptyDataError:
        raise ValueError("file is empty (not even a header row)") from None


def _read_raw(file: Path, table: Table) -> pd.DataFrame:
    if file.suffix == ".parquet":
        return pd.read_parquet(file)
    return read_text_table(file)


def csv_record_lines(file: Path, encoding: str = "utf-8-sig") -> np.ndarray:
    """The first physical line (1-based) of each data record of a CSV: a quoted field may span
    lines, so record N is not always line N + 1."""
    import csv

    starts = []
    with file.open(newline="", encoding=encoding, errors="replace") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        line = reader.line_num
        for _ in reader:
            starts.append(line + 1)
            line = reader.line_num
    return np.asarray(starts, dtype="int64")


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
_FORMULA = r"^\s*[=+\-@][^\d\s.,%-].*"
# the same test in RE2 for DuckDB (analysis.data.pushdown); pandas only tries values that start with
# =, +, - or @, so leading whitespace never matches there either
_FORMULA_SQL = r"^[=+\-@][^\p{Nd}\p{Z}\s\x0b.,%-]"


def _parse_column(raw: pd.Series, col: Column) -> pd.Series:
    """Coerce one column to its contract kind; unparseable values become null (caught later)."""
    kind = col.kind
    if kind in ("id", "text"):
        out = raw.astype("str").where(raw.notna())
        return out.str.strip() if kind == "id" else out
    if kind in ("int", "float"):
        num = pd.to_numeric(raw, errors="coerce")
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


def _validate_table(
    file: Path | str,
    table: Table,
    raw: pd.DataFrame,
    source_rows: np.ndarray | None = None,
) -> tuple[pd.DataFrame, list[Issue]]:
    """Parse and check one table. `source_rows` (1-based, one per row of `raw`) says which row of
    the source file each row came from, when `raw` was mapped from another file (the importer)."""
    issues: list[Issue] = []
    fname = str(file)
    for c in [c for c in raw.columns if c not in table.column_names]:
        issues.append(
            Issue(
                fname,
                table.name,
                c,
                "unknown column (not in the contract; ignored)",
                severity="warning",
            )
        )
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
        parsed = _parse_column(src, col)
        present = src.notna() & ~(src.astype("str").str.strip() == "")
        flag(col.name, f"is not a valid {col.kind}", present & parsed.isna(), src)
        if not col.nullable:
            flag(col.name, "must not be empty", ~present)
        ok = parsed.notna()
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
        if col.pattern is not None and col.kind in ("id", "text"):
            matches = parsed.str.fullmatch(col.pattern).fillna(False).astype(bool)
            flag(col.name, f"must match {col.pattern}", ok & ~matches, src)
        if col.kind == "text" and ok.any():
            # a vectorised first look (pyarrow), the regex only on the few candidates
            formula = parsed.str.startswith(("=", "+", "-", "@")).fillna(False).astype(bool)
            if formula.any():
                formula[formula] = parsed[formula].str.match(_FORMULA).fillna(False)
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


def _check_references(
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


def _errors(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == "error"]


def _content_hash(files: dict[str, Path], meta_file: Path) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        with files[name].open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    if meta_file.is_file():
        digest.update(meta_file.read_bytes())
    return digest.hexdigest()


def _latest_timestamp(tables: dict[str, pd.DataFrame], con=None, in_place=()) -> pd.Timestamp:
    latest = pd.Timestamp.min
    for name, df in tables.items():
        for col in TABLES[name].columns:
            if col.kind == "datetime" and df[col.name].notna().any():
                latest = max(latest, df[col.name].max())
    for name in in_place:  # validated in place: one DuckDB scan per table (the views exist)
        cols = [c.name for c in TABLES[name].columns if c.kind == "datetime"]
        if cols:
            maxima = ", ".join(f"max({c})" for c in cols)
            found = [v for v in con.execute(f"SELECT {maxima} FROM {name}").fetchone() if v]
            latest = max([latest, *map(pd.Timestamp, found)])
    if latest == pd.Timestamp.min:
        raise DataValidationError(
            Path("."), [Issue("", "opportunities", "created_at", "no timestamps")]
        )
    return latest.normalize()


# A Parquet dataset at least this big is validated in place and left on disk (see load_dataset).
LAZY_BYTES = int(os.environ.get("AEM_LAZY_BYTES", 256 * 2**20))


def load_dataset(
    path: str | Path, tables: list[str] | None = None, *, lazy: bool | None = None
) -> Dataset:
    """Load and validate the dataset in directory `path`.

    Reads `<table>.csv` or `<table>.parquet` for every contract table present (or only `tables`),
    checks types, nulls, enums, ranges, keys, row rules and foreign keys, and raises
    `DataValidationError` listing every problem found. Returns a `Dataset`.

    `lazy` (default: when every file is Parquet and together they hold `LAZY_BYTES` or more)
    validates Parquet tables whose column types are the contract's in place, in DuckDB
    (`analysis.data.pushdown`), and leaves them on disk: the KPI engine queries the files, and a table
    is read into pandas only when code asks for it. Other tables are parsed and checked by pandas.

    A dataset that passed validation is cached (build/cache, keyed by the files' content hash and
    the validation code), so the batch and every notebook of a run parse and validate it once.
    """
    from analysis.data.pushdown import check_references, check_table, native  # it needs Issue

    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"dataset directory {path} does not exist")
    files = dataset_files(path)
    meta_file = path / "dataset.yaml"
    content_hash = _content_hash(files, meta_file)
    if lazy is None:
        parquet = all(f.suffix == ".parquet" for f in files.values())
        lazy = parquet and sum(f.stat().st_size for f in files.values()) >= LAZY_BYTES
    entry = cache.entry("dataset", content_hash, f"lazy={lazy}") if tables is None else None
    state = cache.load(entry)
    if state is not None:
        on_disk = {n: files[n] for n in state.pop("lazy")}
        state["tables"] = Tables(state["tables"], on_disk, state.pop("trim"))
        return Dataset(path=path, files=files, **state)
    issues = [
        Issue(
            str(path / f"{t}.csv"), t, None, "required table is missing (no .csv or .parquet file)"
        )
        for t in REQUIRED_TABLES
        if t not in files
    ]
    wanted = [t for t in files if tables is None or t in tables]
    in_place = [
        t for t in wanted if lazy and files[t].suffix == ".parquet" and native(files[t], TABLES[t])
    ]
    con = engine.new_connection() if in_place else None
    loaded: dict[str, pd.DataFrame] = {}
    trim: dict[str, frozenset[str]] = {}
    for name in wanted:
        file = files[name]
        if name in in_place:
            table_issues, trim[name] = check_table(con, name, file)
            issues += table_issues
            continue
        try:
            raw = _read_raw(file, TABLES[name])
        except (EncodingProblem, ValueError) as exc:
            issues.append(Issue(str(file), name, None, str(exc)))
            continue
        except Exception as exc:
            issues.append(Issue(str(file), name, None, f"cannot be read: {exc}"))
            continue
        frame, table_issues = _validate_table(file, TABLES[name], raw)
        issues += table_issues
        if not _errors(table_issues):
            loaded[name] = frame
    if not _errors(issues):
        if in_place:
            _register(con, files, loaded, trim)
            issues += check_references(
                con, files, [t for t in wanted if t in loaded or t in in_place]
            )
        else:
            issues += _check_references(files, loaded)
    if any(i.rows for i in issues):  # name the source lines of the offending rows
        lines_of = {
            str(f): csv_record_lines(f)
            for f in files.values()
            if f.suffix == ".csv" and any(i.file == str(f) and i.rows for i in issues)
        }
        issues = with_lines(issues, lines_of)
    if _errors(issues):
        raise DataValidationError(path, issues)

    meta = yaml.safe_load(meta_file.read_text(encoding="utf-8")) if meta_file.is_file() else {}
    meta = meta or {}
    if meta.get("as_of"):
        as_of = pd.Timestamp(meta["as_of"])
    else:
        as_of = _latest_timestamp(loaded, con, in_place)
    ds = Dataset(
        path=path,
        tables=Tables(loaded, {t: files[t] for t in in_place}, trim),
        name=str(meta.get("name", path.name)),
        timezone=str(meta.get("timezone", "Asia/Bangkok")),
        currency=str(meta.get("currency", "THB")),
        as_of=as_of,
        content_hash=content_hash,
        files=files,
        warnings=tuple(issues),
    )
    if con is not None:
        con.close()
    keep = ("name", "timezone", "currency", "as_of", "content_hash", "warnings")
    state = {k: getattr(ds, k) for k in keep}
    state |= {"tables": loaded, "lazy": in_place, "trim": trim}
    cache.store(entry, state)
    return ds


def _register(
    con, files: dict[str, Path], loaded: dict[str, pd.DataFrame], trim: dict[str, frozenset[str]]
):
    """Views `<t>` and `<t>_rows` (with 0-based `file_row_number`) of every table, for the
    reference checks across tables in memory and tables validated in place (the keys of
    `trim`, which says which of their id columns need trimming)."""
    for name, columns in trim.items():
        engine.create_parquet_view(con, name, files[name], columns, rows=True)
    for name, frame in loaded.items():
        frame = engine.for_duckdb(frame)
        con.register(name, frame)
        con.register(f"{name}_rows", frame.assign(file_row_number=np.arange(len(frame))))


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
