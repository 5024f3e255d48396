"""A dataset on disk as one validated object: find its table files, validate them (in pandas, or
in place in DuckDB for a big Parquet dataset), cache the result, and hand out the tables.

`load_dataset(path)` is the one way in: every load validates against the contract.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import yaml

from analysis.data import cache, engine, pushdown
from analysis.data.contract import REQUIRED_TABLES, TABLES, Table
from analysis.data.decode import (
    EncodingProblem,
    csv_layout_problem,
    csv_record_lines,
    decode_problem,
    read_raw,
)
from analysis.data.validate import (
    MAX_ROWS_SHOWN,
    DataValidationError,
    Issue,
    check_references,
    errors_of,
    parse_column,
    validate_table,
    with_lines,
)
from analysis.months import latest_complete_month, parse_month
from analysis.paths import resolve

__all__ = ["Dataset", "Tables", "LAZY_BYTES", "load_dataset", "dataset_files", "typed"]


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

    def lazy(self, name: str) -> bool:
        """Whether the table came from a file left on disk (`file`), loaded since or not."""
        return name in self._lazy

    def rows(self, name: str) -> int:
        """The table's row count, without reading a table still on disk."""
        frame = self._frames.get(name)
        return len(frame) if frame is not None else pq.read_metadata(self._lazy[name]).num_rows

    def null_count(self, name: str, column: str) -> int:
        """How many rows of table `name` hold no value in `column` (all of them for an optional
        column left out), reading only that column of a table still on disk."""
        frame = self._frames.get(name)
        if frame is not None:
            return int(frame[column].isna().sum())
        file = self._lazy[name]
        if column not in pq.read_schema(file).names:
            return self.rows(name)
        return int(pq.read_table(file, columns=[column]).column(0).null_count)

    def all_null(self, name: str, column: str) -> bool:
        """Whether `column` of table `name` holds no value (an optional column left out or
        empty)."""
        return self.null_count(name, column) == self.rows(name)

    def trim(self, name: str) -> frozenset[str] | None:
        """The id columns of a lazy table whose values have surrounding whitespace (None: not
        known, trim every id column)."""
        return self._trim.get(name)


def _read_validated(file: Path, table: Table) -> pd.DataFrame:
    """A table that passed validation on disk, read with the contract's types."""
    return typed(pd.read_parquet(file), table)


def typed(raw: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Rows of a validated table (read from its file, or by DuckDB) with the contract's types
    and columns (an optional column left out is empty)."""
    out = {}
    for col in table.columns:
        src = (
            raw[col.name] if col.name in raw else pd.Series(pd.NA, index=raw.index, dtype="object")
        )
        out[col.name] = parse_column(src, col)
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
    # the latest timestamp in any table: found while validating (load_dataset), else on first use
    last_event: pd.Timestamp | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if not isinstance(self.tables, Tables):
            self.tables = Tables(self.tables)

    def __repr__(self) -> str:
        as_of = "unknown" if self.as_of is None else f"{self.as_of.date()}"
        return (
            f"Dataset {self.name!r} ({self.path}): {len(self.tables)} tables "
            f"({', '.join(self.tables)}), data as of {as_of}"
        )

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

    @property
    def last_event_month(self) -> pd.Period:
        """The month of the latest timestamp in the data (any table's event column): a month after
        it has no data, whatever `as_of` says (an export dated later than its last event)."""
        if self.last_event is None:  # a dataset not built by load_dataset (e.g. as_of's cut)
            loaded = {t: f for t in self.tables if (f := self.tables.loaded(t)) is not None}
            on_disk = [t for t in self.tables if t not in loaded]
            con = engine.connect(self, on_disk) if on_disk else None
            try:
                self.last_event = _latest_timestamp(loaded, con, on_disk)
            finally:
                if con is not None:
                    con.close()
        return self.last_event.to_period("M")

    @property
    def first_month(self) -> pd.Period:
        """The month of the first opportunity (created, or closed where undated): where the
        data starts."""
        opps = self.tables.loaded("opportunities")
        if opps is not None:
            first = opps["created_at"].fillna(opps["closed_at"]).min()
        else:  # still on disk: ask DuckDB rather than read the table
            con = engine.connect(self, ["opportunities"])
            sql = "SELECT min(coalesce(created_at, closed_at)) FROM opportunities"
            first = con.execute(sql).fetchone()[0]
            con.close()
        return pd.Timestamp(first).to_period("M")

    def resolve_month(self, month: str | None, *, what: str = "month") -> pd.Period:
        """`month` ('YYYY-MM') parsed, or the latest complete month with data when None. A month
        the data does not fully cover, one after its last event, or one before it starts, is an
        error naming `what`."""
        latest = self.latest_complete_month
        last = self.last_event_month
        the_month = parse_month(month, what=what) if month else min(latest, last)
        if the_month > latest:
            raise ValueError(
                f"{what}: {the_month} is not complete in {self.path} (data as of "
                f"{self.as_of.date()}; the latest complete month is {min(latest, last)})"
            )
        if the_month > last:
            raise ValueError(
                f"{what}: {the_month} is after the data in {self.path}: its last event is in "
                f"{last} (data as of {self.as_of.date()}), so nothing is known about {the_month}"
            )
        if the_month < (first := self.first_month):
            raise ValueError(
                f"{what}: {the_month} is before the data in {self.path} (its first month is "
                f"{first}; the latest complete month is {latest})"
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


# content hashes this process computed, by the files' stat (`_stamp`): a report's kernel opens the
# dataset once per part, and hashing the 300-team benchmark company's 1.5 GB took 1.1 s each time
_HASHED: dict[tuple, str] = {}
# a file changed less than this before it was hashed may change again with the same stat (the
# file system's clock ticks are coarser than its nanoseconds): such a hash is not kept, as git
# does not trust an index entry written in the second its file changed ("racy git")
_RACY_SECONDS = 2.0


def _stamp(files: dict[str, Path], meta_file: Path) -> tuple:
    """What the files' stat says of their content: name, path, size, inode, modification and
    change times (a rewrite changes the change time, even when the modification time is set
    back)."""
    out = []
    for name, f in sorted({**files, "dataset.yaml": meta_file}.items()):
        try:
            st = f.stat()
        except FileNotFoundError:
            out.append((name, str(f)))
            continue
        out.append((name, str(f), st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(out)


def _content_hash(files: dict[str, Path], meta_file: Path) -> str:
    """The SHA-256 of the tables' files and the metadata file; the same files unchanged since
    this process hashed them (`_stamp`) are not read again."""
    before = _stamp(files, meta_file)
    if before in _HASHED:
        return _HASHED[before]
    started = time.time_ns()
    value = _hash_files(files, meta_file)
    changed = max((max(part[4:]) for part in before if len(part) > 2), default=0)
    if _stamp(files, meta_file) == before and started - changed > _RACY_SECONDS * 1e9:
        _HASHED[before] = value
    return value


def _hash_files(files: dict[str, Path], meta_file: Path) -> str:
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


def _layout_first(file: Path, name: str, issues: list[Issue]) -> list[Issue]:
    """A table's issues, or, when the file's records do not fit its header (a title line above
    it, a missing separator), that cause alone: the wrong-column errors it set off say nothing
    the reader can act on."""
    problem = csv_layout_problem(file, TABLES[name].column_names)
    if problem is None:
        return issues
    rule, rows, lines = problem
    shown = tuple(rows[:MAX_ROWS_SHOWN])
    return [Issue(str(file), name, None, rule, shown, len(rows), lines=tuple(lines[: len(shown)]))]


def load_dataset(
    path: str | Path, tables: list[str] | None = None, *, lazy: bool | None = None
) -> Dataset:
    """Load and validate the dataset in directory `path` (or the PostgreSQL database at a
    `postgresql://` URL: `analysis.data.postgres`).

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
    from analysis.data import postgres

    if postgres.is_url(path):  # a live database: its tables copied to a Parquet folder first
        path = postgres.snapshot(str(path))
    path = resolve(path)  # a relative path: from the working directory, else the project root
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
    meta, meta_issues = _read_meta(meta_file)
    issues += meta_issues
    wanted = [t for t in files if tables is None or t in tables]
    in_place = [
        t
        for t in wanted
        if lazy and files[t].suffix == ".parquet" and pushdown.native(files[t], TABLES[t])
    ]
    con = engine.new_connection() if in_place else None
    loaded: dict[str, pd.DataFrame] = {}
    trim: dict[str, frozenset[str]] = {}
    for name in wanted:
        file = files[name]
        if name in in_place:
            table_issues, trim[name] = pushdown.check_table(con, name, file)
            issues += table_issues
            continue
        try:
            raw = read_raw(file)
        except pd.errors.ParserError as exc:  # a record longer than the header: say which
            issues += _layout_first(file, name, [Issue(str(file), name, None, str(exc))])
            continue
        except (EncodingProblem, ValueError) as exc:
            issues.append(Issue(str(file), name, None, str(exc)))
            continue
        except Exception as exc:
            issues.append(Issue(str(file), name, None, f"cannot be read: {exc}"))
            continue
        frame, table_issues = validate_table(file, TABLES[name], raw)
        if file.suffix == ".csv" and (errors_of(table_issues) or raw.attrs.get("ragged")):
            table_issues = _layout_first(file, name, table_issues)
        issues += table_issues
        if not errors_of(table_issues):
            loaded[name] = frame
    if not errors_of(issues):
        if in_place:
            _register(con, files, loaded, trim)
            issues += pushdown.check_references(
                con, files, [t for t in wanted if t in loaded or t in in_place]
            )
        else:
            issues += check_references(files, loaded)
    if any(i.rows for i in issues):  # name the source lines of the offending rows
        lines_of = {
            str(f): csv_record_lines(f)
            for f in files.values()
            if f.suffix == ".csv" and any(i.file == str(f) and i.rows for i in issues)
        }
        issues = with_lines(issues, lines_of)
    if errors_of(issues):
        raise DataValidationError(path, issues)

    # once, while the tables are at hand (and cached with them): every report kernel and CLI
    # call asks for it when it resolves the month
    last_event = _latest_timestamp(loaded, con, in_place)
    as_of = pd.Timestamp(meta["as_of"]) if meta.get("as_of") else last_event
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
        last_event=last_event,
    )
    if con is not None:
        con.close()
    keep = ("name", "timezone", "currency", "as_of", "content_hash", "warnings", "last_event")
    state = {k: getattr(ds, k) for k in keep}
    state |= {"tables": loaded, "lazy": in_place, "trim": trim}
    cache.store(entry, state)
    return ds


def _read_meta(meta_file: Path) -> tuple[dict, list[Issue]]:
    """dataset.yaml (optional): a mapping with name, timezone, currency, as_of. Returns it and
    its problems, each naming the file and the key (a broken file fails validation with the
    tables' problems, never with a traceback)."""
    if not meta_file.is_file():
        return {}, []
    where = str(meta_file)
    try:
        meta = yaml.safe_load(meta_file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        return {}, [Issue(where, "dataset", None, decode_problem(meta_file, exc))]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return {}, [Issue(where, "dataset", None, f"is not valid YAML{at}: {problem}")]
    if meta is None:
        return {}, []
    if not isinstance(meta, dict):
        rule = "must be a mapping of keys (name, timezone, currency, as_of)"
        return {}, [Issue(where, "dataset", None, f"{rule}, not a {type(meta).__name__}")]
    issues = []
    if meta.get("as_of") is not None:
        try:
            ok = pd.notna(pd.Timestamp(meta["as_of"]))
        except (ValueError, TypeError):
            ok = False
        if not ok:
            rule = f"is not a date (YYYY-MM-DD): {meta['as_of']!r}"
            issues.append(Issue(where, "dataset", "as_of", rule))
    return meta, issues


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
