"""Import CRM exports into a dataset of the data contract, following a mapping (`analysis.data.mapping`).

`import_dataset(mapping, sources, out)` reads each source file once (only the columns the mapping
uses; CSV as text, so "=cmd..." stays a string), builds every mapped table with vectorised
pandas (constants, templates, stable ids from natural keys, slugs, value maps, amounts such as
"฿1,234.50" or "(1,234)", dates in a given format, day-first or ISO, Buddhist-era years, time
zones), validates the result against the contract naming the *source* file, column and lines of
every offending row, and only then writes the dataset: into a temporary folder first, moved into
place when complete, so a failed import never leaves a half-written or half-replaced dataset.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import string
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data import postgres
from analysis.data.contract import REQUIRED_TABLES, TABLES
from analysis.data.decode import EncodingProblem, csv_record_lines, read_text_table
from analysis.data.history import history
from analysis.data.mapping import (
    ColumnSpec,
    Mapping,
    SqlSource,
    TableSpec,
    load_mapping,
    source_key,
)
from analysis.data.validate import (
    DataValidationError,
    Issue,
    check_references,
    errors_of,
    validate_table,
    with_lines,
)
from analysis.data.write import write_dataset

__all__ = ["ImportResult", "import_dataset", "slug", "stable_id", "parse_amounts", "parse_dates"]

EXCEL = {".xlsx", ".xlsm"}
_BE_YEAR = re.compile(r"(?<!\d)(2[4-6]\d\d)(?!\d)")  # 2400-2699: Buddhist-era years


@dataclass
class ImportResult:
    out: Path
    tables: dict[str, pd.DataFrame]  # what was written, as validated
    warnings: list[Issue] = field(default_factory=list)

    @property
    def rows(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.tables.items()}


# --- value helpers (vectorised; tested one by one) ----------------------------------------------


def slug(value: str, prefix: str | None = None) -> str:
    """An id from a name: lower-case ASCII words joined by hyphens; a name that is not plain
    ASCII (Thai) also gets 8 hex digits of its hash, so two names never share an id.

    >>> slug("Somchai Jaidee")
    'somchai-jaidee'
    >>> slug("สมชาย ใจดี")
    'ff00dc79'
    """
    text = str(value).strip()
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if not base or not text.isascii():
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
        base = f"{base}-{digest}" if base else digest
    return f"{prefix}-{base}" if prefix else base


def stable_id(parts: list[pd.Series], prefix: str) -> pd.Series:
    """An id per row from natural-key columns: prefix + 12 hex digits of their hash. The same
    values give the same id in every import; any empty part gives no id."""
    frame = pd.concat([p.astype("string").str.strip() for p in parts], axis=1)
    frame = frame.where(frame.ne(""))  # an empty or blank cell is no value, from any source
    empty = frame.isna().any(axis=1)
    joined = frame.fillna("").agg("\x1f".join, axis=1) if len(parts) > 1 else frame.iloc[:, 0]
    codes, uniques = pd.factorize(joined)
    ids = np.array(
        [f"{prefix}-{hashlib.sha1(str(u).encode('utf-8')).hexdigest()[:12]}" for u in uniques],
        dtype=object,
    )
    out = pd.Series(ids[codes] if len(uniques) else [], index=frame.index, dtype="object")
    return out.where(~empty)


def _per_unique(text: pd.Series, convert) -> pd.Series:
    """convert() applied to the distinct values of `text` only, spread back to every row: exports
    repeat dates and labels, so this is most of the work saved on millions of rows."""
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    converted = convert(pd.Series(uniques, dtype=text.dtype)).to_numpy()
    if not len(converted):
        return convert(text.iloc[:0]).reindex(text.index)
    out = converted[np.maximum(codes, 0)]
    if (codes < 0).any():
        out = pd.Series(out).where(codes >= 0).to_numpy()
    return pd.Series(out, index=text.index)


def parse_amounts(raw: pd.Series) -> pd.Series:
    """Numbers from text as exports write them: thousands separators, currency symbols or codes
    (฿ THB $ บาท ...), spaces, a trailing or leading minus, accounting negatives "(1,234)".
    Numeric input passes through. Unparseable text is NaN (the caller keeps the raw text)."""
    if pd.api.types.is_numeric_dtype(raw):
        return raw.astype("float64")
    text = raw.astype("string[pyarrow]").str.strip()
    # character classes without \d or \s keep these on pyarrow's vectorised regex engine
    negative = text.str.fullmatch(r"[(].*[)]").fillna(False) | text.str.endswith("-").fillna(False)
    negative |= text.str.startswith("-").fillna(False)
    digits = text.str.replace(r"[^0-9.eE-]", "", regex=True).str.strip("-")
    number = pd.to_numeric(digits.where(digits.str.len() > 0), errors="coerce").astype("float64")
    return number * np.where(negative.to_numpy(dtype=bool), -1.0, 1.0)


def parse_dates(
    raw: pd.Series,
    *,
    fmt: str | None = None,
    dayfirst: bool = False,
    buddhist_era: bool = False,
    source_tz: str | None = None,
    target_tz: str | None = None,
) -> pd.Series:
    """Timestamps (naive, in `target_tz`) from text in `fmt`, day-first or ISO form; Buddhist-era
    years (2400-2699) become Christian-era years before parsing (29/02/2567 is a real date).
    Zone-aware values are converted; naive ones are taken to be in `source_tz`. Each distinct
    text is parsed once."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        out = raw
    else:
        text = raw.astype("string[pyarrow]").str.strip()
        zoned = _has_zone(text)

        def convert(values: pd.Series) -> pd.Series:
            if buddhist_era:
                values = values.str.replace(
                    _BE_YEAR, lambda m: str(int(m.group(1)) - 543), regex=True
                )
            if fmt:
                return pd.to_datetime(values, format=fmt, errors="coerce")
            if dayfirst:
                return pd.to_datetime(values, dayfirst=True, format="mixed", errors="coerce")
            return pd.to_datetime(values, format="ISO8601", errors="coerce", utc=zoned)

        out = pd.to_datetime(_per_unique(text, convert))
        if zoned and getattr(out.dt, "tz", None) is None:
            out = out.dt.tz_localize("UTC")
    zone = getattr(out.dt, "tz", None)
    if zone is not None:
        out = out.dt.tz_convert(target_tz or "UTC").dt.tz_localize(None)
    elif source_tz and target_tz and source_tz != target_tz:
        out = (
            out.dt.tz_localize(source_tz, ambiguous="NaT", nonexistent="shift_forward")
            .dt.tz_convert(target_tz)
            .dt.tz_localize(None)
        )
    return out.astype("datetime64[us]")


def _has_zone(text: pd.Series) -> bool:
    sample = text.dropna().head(1000)
    return bool(sample.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).any())


def _template(source: pd.DataFrame, template: str) -> pd.Series:
    out = pd.Series("", index=source.index, dtype="string")
    present = pd.Series(False, index=source.index)
    for literal, field_name, _, _ in string.Formatter().parse(template):
        out = out + (literal or "")
        if field_name:
            values = source[field_name].astype("string").str.strip()
            present |= values.notna() & values.ne("")
            out = out + values.fillna("")
    return out.where(present)


# --- reading ------------------------------------------------------------------------------------


class _Sources:
    """Each source read once per (encoding, delimiter, sheet), only the columns used: a file, or
    a query (`source: {sql: ...}`) against the one PostgreSQL database among the sources."""

    def __init__(self, sources: list[Path | str], mapping: Mapping, mapping_path: Path):
        self.by_name: dict[str, Path] = {}
        urls = [s for s in sources if postgres.is_url(s)]
        if len(urls) > 1:
            raise ValueError("give at most one postgresql:// database among the sources")
        self.database = postgres.check_url(str(urls[0])) if urls else None
        for f in (Path(s) for s in sources if not postgres.is_url(s)):
            if not f.is_file():
                raise FileNotFoundError(f"source {f} does not exist")
            if f.name in self.by_name:
                raise ValueError(f"two sources are named {f.name}: {self.by_name[f.name]} and {f}")
            self.by_name[f.name] = f
        self.mapping_path = mapping_path
        self.wanted: dict[str, set[str]] = {}
        for name, spec in mapping.tables.items():
            cols = self._want(spec.source, f"tables.{name}.source")
            cols.update(spec.where or {})
            cols.update(spec.require or [])
            for col in spec.columns:
                cols.update(spec.spec(col).source_columns())
                for lookup in spec.spec(col).lookups():
                    where = f"tables.{name}.columns.{col}.lookup.source"
                    self._want(lookup.source, where).update({lookup.match, lookup.column})
        self._frames: dict[tuple, pd.DataFrame] = {}
        self.lines: dict[str, np.ndarray] = {}

    def _want(self, source: str | SqlSource, where: str) -> set[str]:
        """The set of columns wanted from `source`, after checking it is given."""
        key = source_key(source)
        if isinstance(source, SqlSource):
            if self.database is None:
                raise ValueError(
                    f"{self.mapping_path}: {where}: an SQL source needs a postgresql:// database "
                    "among the sources"
                )
            self.by_name[key] = Path(postgres.redacted(self.database))
        elif source not in self.by_name:
            raise ValueError(
                f"{self.mapping_path}: {where}: {source!r} is not among the source files given "
                f"({', '.join(k for k in self.by_name if not k.startswith('sql: ')) or 'none'})"
            )
        return self.wanted.setdefault(key, set())

    def path(self, spec: TableSpec) -> Path:
        return self.by_name[source_key(spec.source)]

    def read(self, spec: TableSpec) -> pd.DataFrame:
        name = source_key(spec.source)
        key = (name, spec.encoding, spec.delimiter, spec.sheet)
        if key in self._frames:
            return self._frames[key]
        path, wanted = self.by_name[name], self.wanted[name]
        suffix = path.suffix.lower()
        if isinstance(spec.source, SqlSource):
            frame = self._query(spec.source.sql, path, wanted)
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            available = pq.read_schema(path).names
            self._check_columns(path, wanted, available)
            frame = pd.read_parquet(path, columns=sorted(wanted))
        elif suffix in EXCEL:
            frame = pd.read_excel(path, sheet_name=spec.sheet or 0, dtype=str)
            self._check_columns(path, wanted, list(frame.columns))
            frame = frame[sorted(wanted)]
            self.lines[str(path)] = np.arange(2, len(frame) + 2)  # row 1 is the header
        else:
            encoding = spec.encoding or "utf-8-sig"
            header = read_text_table(path, encoding=encoding, sep=spec.delimiter or ",", nrows=0)
            self._check_columns(path, wanted, list(header.columns))
            frame = read_text_table(
                path, encoding=encoding, sep=spec.delimiter or ",", usecols=sorted(wanted)
            )
        self._frames[key] = frame
        return frame

    def _query(self, sql: str, path: Path, wanted: set[str]) -> pd.DataFrame:
        """The query's result, its wanted columns as text (as a CSV's cells: the column specs
        parse amounts, dates and ids the same way whatever the database's types)."""
        import adbc_driver_postgresql.dbapi as pg

        with pg.connect(self.database) as conn, conn.cursor() as cursor:
            cursor.execute(sql)
            table = cursor.fetch_arrow_table()
        self._check_columns(path, wanted, table.column_names)
        frame = table.select(sorted(wanted)).to_pandas()
        return frame.apply(lambda c: c.astype("string").where(c.notna()))

    def record_lines(self, path: Path, spec: TableSpec) -> np.ndarray | None:
        """Each data row's line in the source (None for Parquet); a CSV is scanned once, however
        many tables and issues point into it."""
        if path.suffix.lower() == ".parquet" or isinstance(spec.source, SqlSource):
            return None
        key = str(path)
        if key not in self.lines:  # an Excel source's lines are set when it is read
            self.lines[key] = csv_record_lines(path, spec.encoding or "utf-8-sig")
        return self.lines[key]

    def _check_columns(self, path: Path, wanted: set[str], available: list[str]) -> None:
        import difflib

        missing = sorted(wanted - set(available))
        if missing:
            hints = []
            for m in missing:
                close = difflib.get_close_matches(m, available, n=1)
                hints.append(f"{m!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise ValueError(
                f"{path}: the mapping {self.mapping_path} uses column(s) {', '.join(hints)} "
                f"that the file does not have (it has: {', '.join(map(repr, available))})"
            )


# --- building one table -------------------------------------------------------------------------


@dataclass
class _Note:
    """Something building a column found about some rows: a skip, a lookup's unmatched keys.
    `rule` may hold "{n}" for the number of rows (`mask` can be narrowed after the note is made:
    a `first_of` item only counts for the rows the items before it left empty)."""

    column: str | None
    rule: str
    mask: np.ndarray  # the rows (of the table's source rows being built) it concerns
    keys: pd.Series | None = None  # per row, the value it is about (shown: the first five)
    severity: str = "error"

    def issue(self, path: Path, table: str, rows: np.ndarray) -> Issue:
        shown = ()
        if self.keys is not None:
            shown = tuple(str(k) for k in self.keys[self.mask].unique()[:5])
        return Issue(
            str(path),
            table,
            self.column,
            # "{n}" replaced, not str.format: the rule holds column names and values from data
            self.rule.replace("{n}", str(int(self.mask.sum()))),
            tuple(int(r) for r in rows[self.mask][:10]),
            int(self.mask.sum()),
            shown,
            self.severity,
        )


def _lookup(
    source: pd.DataFrame, name: str, spec: ColumnSpec, sources: _Sources, notes: list[_Note]
) -> pd.Series:
    """`spec.lookup`'s values for the rows of `source`; keys with no match are noted (an error,
    or a warning where `default` fills them), and a key with two different values is an error."""
    lookup = spec.lookup
    other = sources.read(lookup.as_table())
    pairs = pd.DataFrame(
        {
            "key": other[lookup.match].astype("string").str.strip(),
            "value": other[lookup.column].astype("string").str.strip(),
        }
    )
    pairs = pairs[pairs["key"].notna() & pairs["key"].ne("")].drop_duplicates()
    twice = pairs["key"][pairs["key"].duplicated()].unique()
    if len(twice):
        shown = ", ".join(repr(k) for k in twice[:5])
        raise ValueError(
            f"{sources.path(lookup.as_table())}: lookup for {name}: {len(twice)} value(s) of "
            f"{lookup.match!r} have more than one {lookup.column!r} (e.g. {shown}); one row "
            "per key is needed"
        )
    keys = source[lookup.key].astype("string").str.strip()
    keys = keys.where(keys.ne(""))
    if lookup.key_map:
        keys = keys.replace(lookup.key_map)
    table = pairs.set_index("key")["value"]
    values = keys.map(table)
    unmatched = (keys.notna() & ~keys.isin(table.index)).to_numpy(dtype=bool)
    if unmatched.any():
        fill = f"; given the default {spec.default!r}" if spec.default is not None else ""
        notes.append(
            _Note(
                name,
                f"{{n}} row(s) whose {lookup.key!r} has no match in {source_key(lookup.source)} column "
                f"{lookup.match!r}{fill} (key_map can match spellings that differ)",
                unmatched,
                keys,
                "warning" if spec.default is not None else "error",
            )
        )
    return values


def _column(
    source: pd.DataFrame,
    table: str,
    name: str,
    spec: ColumnSpec,
    tspec: TableSpec,
    mapping: Mapping,
    sources: _Sources,
    notes: list[_Note],
) -> pd.Series:
    """One contract column from the source rows; values that cannot be converted keep their
    source text, so validation shows them (with their lines). A derived column is left empty
    here: `_derive` fills it once every table is built."""
    kind = TABLES[table].column(name).kind
    if spec.first_of is not None:
        values = None
        for item in spec.items():
            before = len(notes)
            item_values = _column(source, table, name, item, tspec, mapping, sources, notes)
            if values is not None:
                # what an item found counts only for the rows the items before it left empty
                empty = values.isna().to_numpy(dtype=bool)
                for note in notes[before:]:
                    note.mask = note.mask & empty
                notes[before:] = [n for n in notes[before:] if n.mask.any()]
                item_values = values.where(values.notna(), item_values)
            values = item_values
        return _with_default(values, spec.default)
    if spec.derive is not None:
        return pd.Series(pd.NA, index=source.index, dtype="object")
    if spec.value is not None:
        values = pd.Series(spec.value, index=source.index)
    elif spec.template is not None:
        values = _template(source, spec.template)
    elif spec.id_from is not None:
        values = stable_id([source[c] for c in spec.id_from], spec.prefix or table[0])
    elif spec.lookup is not None:
        values = _lookup(source, name, spec, sources, notes)
    else:
        values = source[spec.column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            values = values.astype("string").str.strip()
            values = values.where(values.ne(""))
    values = _with_default(values, spec.default)
    if spec.map is not None:
        known = values.isin(list(spec.map))
        values = values.map(spec.map).where(known, values).astype("object")
    if spec.slug:
        uniques = values.dropna().unique()
        values = values.map({u: slug(u, spec.prefix) for u in uniques})
    if kind in ("date", "datetime") and spec.value is None:
        parsed = parse_dates(
            values,
            fmt=spec.format or tspec.date_format,
            dayfirst=spec.dayfirst if spec.dayfirst is not None else tspec.dayfirst,
            buddhist_era=(
                spec.buddhist_era if spec.buddhist_era is not None else tspec.buddhist_era
            ),
            source_tz=(spec.timezone or mapping.source_timezone) if kind == "datetime" else None,
            target_tz=mapping.dataset.timezone,
        )
        return _keep_failures(parsed, values)
    if kind in ("float", "int") and spec.value is None:
        return _keep_failures(parse_amounts(values), values)
    return values


def _with_default(values: pd.Series, default) -> pd.Series:
    """`values` with `default` where they are empty (any spec kind)."""
    if default is None or values.notna().all():
        return values
    return values.astype("object").where(values.notna(), default)


def _keep_failures(parsed: pd.Series, raw: pd.Series) -> pd.Series:
    failed = parsed.isna() & raw.notna()
    if not failed.any():
        return parsed
    return parsed.astype("object").where(~failed, raw.astype("object"))


def _kept_rows(source: pd.DataFrame, tspec: TableSpec, notes: list[_Note]) -> np.ndarray:
    """Which source rows the table keeps: `require` (a column must have a value) and `where` (a
    column must have one of the values); each rule's skips counted in a warning."""
    keep = np.ones(len(source), dtype=bool)
    rules = [
        (col, f"no {col!r}", lambda s: s.notna() & s.ne("")) for col in tspec.require or []
    ] + [
        (
            col,
            f"{col!r} is not one of {', '.join(map(repr, values))}",
            lambda s, v=values: s.isin(v),
        )
        for col, values in (tspec.where or {}).items()
    ]
    for col, reason, passes in rules:
        text = source[col].astype("string").str.strip()
        ok = passes(text).fillna(False).to_numpy(dtype=bool)
        skipped = keep & ~ok
        if skipped.any():
            notes.append(
                _Note(None, f"{{n}} source row(s) skipped: {reason}", skipped, None, "warning")
            )
        keep &= ok
    return keep


def _build(
    table: str, tspec: TableSpec, sources: _Sources, mapping: Mapping
) -> tuple[pd.DataFrame, np.ndarray, list[Issue]]:
    """The table's rows (contract columns that are mapped), each row's 1-based source row, and
    what building found (rows skipped, lookups without a match), as issues on the source rows."""
    source = sources.read(tspec)
    rows = np.arange(1, len(source) + 1)
    skips: list[_Note] = []  # on every source row
    keep = _kept_rows(source, tspec, skips)
    found = _issues(skips, sources.path(tspec), table, rows)
    source, rows = source[keep], rows[keep]
    notes: list[_Note] = []  # on the rows kept
    out = pd.DataFrame(index=source.index)
    specs = {name: tspec.spec(name) for name in tspec.columns}
    for name, spec in specs.items():
        out[name] = _column(source, table, name, spec, tspec, mapping, sources, notes)
    found += _issues(notes, sources.path(tspec), table, rows)
    for name, spec in specs.items():
        for other, values in (spec.only_when or {}).items():
            out[name] = out[name].where(out[other].isin(values))
    out = out.reset_index(drop=True)
    if tspec.distinct:
        key = [k for k in TABLES[table].key if k in out.columns]
        if key:
            first = ~out.duplicated(key, keep="first").to_numpy()
            combined = out[first].reset_index(drop=True)
            groups = out.groupby(key, sort=False, dropna=False)  # in order of first appearance
            for name, spec in specs.items():
                typed = pd.api.types.is_datetime64_any_dtype(out[name]) or (
                    pd.api.types.is_numeric_dtype(out[name])
                )
                if spec.aggregate in ("min", "max") and typed:
                    combined[name] = groups[name].agg(spec.aggregate).to_numpy()
            out, rows = combined, rows[first]
    return out, rows, found


def _issues(notes: list[_Note], path: Path, table: str, rows: np.ndarray) -> list[Issue]:
    """The notes as validation issues on the source rows (the first ten named, all counted)."""
    return [note.issue(path, table, rows) for note in notes]


def _derive(tables: dict[str, pd.DataFrame], mapping: Mapping) -> None:
    """Fill every derived column (`derive` of `of` by `by`) from the built tables, in place: for
    each row, the aggregate over the other table's rows with the same `by`."""
    for name, tspec in mapping.tables.items():
        for column in tspec.columns:
            spec = tspec.spec(column)
            if spec.derive is None or name not in tables:
                continue
            of_table, of_column = spec.of.split(".")
            if of_table not in tables:
                continue  # that table failed to build; its issue is reported
            other = tables[of_table]
            kind = TABLES[of_table].column(of_column).kind
            values = other[of_column]
            if kind in ("date", "datetime"):
                values = pd.to_datetime(values, errors="coerce")
            elif kind in ("float", "int"):
                values = pd.to_numeric(values, errors="coerce")
            frame = pd.DataFrame({"by": other[spec.by], "value": values})
            if spec.derive == "count":
                per_key = frame.dropna(subset=["by"]).groupby("by")["value"].size()
            else:
                per_key = frame.dropna().groupby("by")["value"].agg(spec.derive)
            derived = tables[name][spec.by].map(per_key)
            if kind == "date" and spec.derive != "count":
                derived = pd.to_datetime(derived).dt.normalize()
            tables[name][column] = _with_default(derived, spec.default)


# --- the import ---------------------------------------------------------------------------------


def _lines(sources: _Sources, tspec: TableSpec, issues: list[Issue]) -> dict[str, np.ndarray]:
    """The source's record lines, read only when an issue names rows."""
    if not any(i.rows for i in issues):
        return {}
    path = sources.path(tspec)
    lines = sources.record_lines(path, tspec)
    return {str(path): lines} if lines is not None else {}


def import_dataset(
    mapping_path: str | Path,
    sources: list[str | Path],
    out: str | Path,
    *,
    fmt: str = "csv",
    overwrite: bool = False,
) -> ImportResult:
    """Import `sources` with the mapping into the dataset folder `out` (see the module doc).

    Raises MappingError for a bad mapping, ValueError for a missing source or column,
    DataValidationError listing every problem of the mapped data (source file, contract column,
    rule, source rows and lines); nothing is written then. An existing `out` is replaced only
    with `overwrite`, and only once the new dataset is complete.
    """
    mapping_path, out = Path(mapping_path), Path(out)
    mapping = load_mapping(mapping_path)
    missing = [t for t in REQUIRED_TABLES if t not in mapping.tables]
    if missing:
        raise ValueError(
            f"{mapping_path}: tables: {', '.join(missing)} must be mapped "
            f"(required: {', '.join(REQUIRED_TABLES)})"
        )
    if out.exists() and not overwrite:
        raise ValueError(f"{out} exists; pass --overwrite to replace it")
    srcs = _Sources([s if postgres.is_url(s) else Path(s) for s in sources], mapping, mapping_path)

    built, origin, files, issues = {}, {}, {}, []
    for name, tspec in mapping.tables.items():
        try:
            built[name], origin[name], found = _build(name, tspec, srcs, mapping)
        except EncodingProblem as exc:
            issues.append(Issue(str(srcs.path(tspec)), name, None, str(exc)))
            continue
        issues += with_lines(found, _lines(srcs, tspec, found))
    _derive(built, mapping)  # columns computed from other tables (a rep's first deal)
    tables = {}
    for name, raw in built.items():
        tspec = mapping.tables[name]
        path, rows = srcs.path(tspec), origin[name]
        frame, table_issues = validate_table(path, TABLES[name], raw, rows)
        issues += with_lines(table_issues, _lines(srcs, tspec, table_issues))
        tables[name], files[name] = frame, str(path)
    if not errors_of(issues):
        refs = check_references(files, tables, origin)
        for ref in refs:
            issues += with_lines([ref], _lines(srcs, mapping.tables[ref.table], [ref]))
    if errors_of(issues):
        raise DataValidationError(out, issues, subject=f"import with {mapping_path}")

    meta = {
        "name": mapping.dataset.name,
        "timezone": mapping.dataset.timezone,
        "currency": mapping.dataset.currency,
        "imported_with": mapping_path.name,
        "sources": sorted(
            {str(p) if k.startswith("sql: ") else k for k, p in srcs.by_name.items()}
        ),
        "history": history(tables),  # which values have a past, which are final-only
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-", dir=out.parent))
    try:
        write_dataset(tables, staging, meta=meta, fmt=fmt)
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
            os.replace(staging, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return ImportResult(out, tables, issues)
