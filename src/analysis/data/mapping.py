"""The import mapping: how CRM exports (CSV, Excel, Parquet) become tables of the data contract.

A mapping is YAML, checked against the typed schema below before any source is read: unknown or
misspelt keys, wrong types and contract columns that do not exist are errors naming the file and
key. docs/importing.md is the guide; mappings/ has documented examples (Salesforce, HubSpot).

    dataset: {name: Acme (Salesforce), timezone: Asia/Bangkok, currency: THB}
    source_timezone: UTC            # timestamps in the sources are in this zone
    tables:
      opportunities:
        source: opportunities.csv   # a SOURCE file, by file name
        date_format: "%d/%m/%Y"     # default for this table's dates (else ISO or dayfirst)
        columns:
          opportunity_id: Opportunity ID              # shorthand: a source column
          stage: {column: Stage, map: {Closed Won: closed_won}}
          amount: {column: Amount}                    # "฿1,234.50" and "(1,234)" are understood
          product: {value: CRM Suite}                 # a constant
          rep_id: {column: Opportunity Owner, slug: true}
          account_id: {id_from: [Account Name]}       # a stable id from natural keys
          closed_at: {column: Close Date, only_when: {stage: [closed_won, closed_lost]}}
          amount: {first_of: [Close Value, {lookup: {source: products.csv, key: Product,
                                                      match: product, column: sales_price}}]}
      reps:
        columns:
          team_id: {lookup: {source: teams.csv, key: Sales Agent, match: sales_agent,
                             column: manager}, slug: true}
          hire_date: {derive: min, of: opportunities.created_at, by: rep_id}
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from analysis.data.contract import TABLES

__all__ = [
    "ColumnSpec",
    "LookupSpec",
    "SqlSource",
    "TableSpec",
    "Mapping",
    "MappingError",
    "load_mapping",
    "source_key",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SqlSource(_Strict):
    """A query run against the PostgreSQL database given among the import's sources (its result
    read as a CSV's cells are: text, parsed by the column specs)."""

    sql: str


def source_key(source: str | SqlSource) -> str:
    """A source's name: the file's, or "sql: <the query>"."""
    return source if isinstance(source, str) else f"sql: {source.sql.strip()}"


class LookupSpec(_Strict):
    """A value from another source file, joined on a key: the `column` of the row of `source`
    whose `match` column equals this row's `key` column (both trimmed). (Not `on`: YAML reads a
    bare `on` as true.)"""

    source: str | SqlSource  # file name of one of the SOURCE arguments, or {sql: ...}
    key: str  # this table's source column holding the key
    match: str  # the lookup source's key column
    column: str  # the lookup source's column to take
    # keys spelt differently in the two files: this table's spelling -> the lookup source's
    key_map: dict[str, str] | None = None
    sheet: str | int | None = None  # as for a table's source
    encoding: str | None = None
    delimiter: str | None = None

    def as_table(self) -> TableSpec:
        """How to read the lookup source (the reader's options of a table)."""
        return TableSpec(
            source=self.source,
            sheet=self.sheet,
            encoding=self.encoding,
            delimiter=self.delimiter,
            columns={},
        )


_SOURCES = ("column", "value", "template", "id_from", "first_of", "lookup", "derive")


class ColumnSpec(_Strict):
    """Where one contract column comes from: exactly one of column, value, template, id_from,
    first_of, lookup, derive."""

    column: str | None = None  # a source column
    value: str | float | int | bool | None = None  # a constant
    template: str | None = None  # "{First Name} {Last Name}": source columns in braces
    id_from: list[str] | None = None  # a stable id: hash of these source columns' values
    prefix: str | None = None  # id_from: the id's prefix (default: the table's first letter)
    # the first of these (specs or source column names) that has a value, row by row
    first_of: list[Annotated[ColumnSpec | str, Field(union_mode="left_to_right")]] | None = None
    lookup: LookupSpec | None = None  # a column of another source, joined on a key
    # an aggregate over another mapped table, per entity: the `derive` (min, max, first, count,
    # sum) of `of` ("table.column") grouped by `by`, a contract column mapped in both tables
    derive: Literal["min", "max", "first", "count", "sum"] | None = None
    of: str | None = None
    by: str | None = None
    default: str | float | int | None = None  # the value where the spec gives none (any kind)
    map: dict[str, str | None] | None = None  # source value -> contract value (exact, trimmed)
    slug: bool = False  # an id from a name: lower-case ASCII slug (+ hash when not ASCII)
    format: str | None = None  # dates: strptime format, e.g. "%d/%m/%Y %H:%M"
    dayfirst: bool | None = None  # dates: 01/02/2026 is 1 February
    buddhist_era: bool | None = None  # dates: years 2400+ are Buddhist era (2569 = 2026)
    timezone: str | None = None  # datetimes: the zone of this column's values
    only_when: dict[str, list[str]] | None = None  # keep the value only where another mapped
    # contract column has one of these values (e.g. closed_at only for closed stages)
    aggregate: Literal["first", "min", "max"] | None = None  # distinct tables: how to combine

    @model_validator(mode="after")
    def _one_source(self) -> ColumnSpec:
        given = [k for k in _SOURCES if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of {', '.join(_SOURCES)}"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if (self.of is None or self.by is None) != (self.derive is None):
            raise ValueError("derive needs `of` (table.column) and `by`, and they need derive")
        if self.of is not None and self.of.count(".") != 1:
            raise ValueError(f"of: {self.of!r} is not table.column")
        if self.first_of is not None:
            if not self.first_of:
                raise ValueError("first_of: give at least one spec")
            typed = [
                k
                for k in ("map", "slug", "format", "dayfirst", "buddhist_era", "timezone")
                if getattr(self, k) not in (None, False)
            ]
            if typed:
                raise ValueError(f"first_of: put {', '.join(typed)} on its items")
        return self

    def items(self) -> list[ColumnSpec]:
        """first_of's specs (a source column's name made a spec)."""
        return [ColumnSpec(column=s) if isinstance(s, str) else s for s in self.first_of or []]

    def source_columns(self) -> list[str]:
        """The columns of the table's own source this spec reads."""
        if self.column is not None:
            return [self.column]
        if self.template is not None:
            import string

            return [f for _, f, _, _ in string.Formatter().parse(self.template) if f]
        if self.lookup is not None:
            return [self.lookup.key]
        if self.first_of is not None:
            return [c for item in self.items() for c in item.source_columns()]
        return list(self.id_from or [])

    def lookups(self) -> list[LookupSpec]:
        """Every lookup this spec makes (its own and its first_of items')."""
        own = [self.lookup] if self.lookup is not None else []
        return own + [lk for item in self.items() for lk in item.lookups()]


class TableSpec(_Strict):
    # file name of one of the SOURCE arguments, or {sql: SELECT ...} for a database among them
    source: str | SqlSource
    sheet: str | int | None = None  # Excel: sheet name or index (default: the first)
    encoding: str | None = None  # CSV: e.g. cp874 for Thai Windows exports (default UTF-8)
    delimiter: str | None = None  # CSV: default ","
    date_format: str | None = None
    dayfirst: bool = False
    buddhist_era: bool = False
    distinct: bool = False  # one row per key (derived tables such as teams from a manager column)
    where: dict[str, list[str]] | None = None  # keep source rows whose column has one of these
    require: list[str] | None = None  # skip source rows where one of these columns is empty
    columns: dict[str, Annotated[ColumnSpec | str, Field(union_mode="left_to_right")]]

    def spec(self, column: str) -> ColumnSpec:
        value = self.columns[column]
        return ColumnSpec(column=value) if isinstance(value, str) else value


class DatasetMeta(_Strict):
    name: str = "imported"
    timezone: str = "Asia/Bangkok"
    currency: str = "THB"


class Mapping(_Strict):
    dataset: DatasetMeta = DatasetMeta()
    source_timezone: str | None = None  # default: the dataset's timezone (no conversion)
    tables: dict[str, TableSpec]

    @model_validator(mode="after")
    def _contract_names(self) -> Mapping:
        for name, table in self.tables.items():
            if name not in TABLES:
                raise ValueError(f"tables.{name}: not a contract table ({', '.join(TABLES)})")
            known = TABLES[name].column_names
            for col, spec in table.columns.items():
                if col not in known:
                    raise ValueError(
                        f"tables.{name}.columns.{col}: not a column of {name} ({', '.join(known)})"
                    )
                spec = table.spec(col)
                for other in spec.only_when or {}:
                    if other not in table.columns:
                        raise ValueError(
                            f"tables.{name}.columns.{col}.only_when: {other} is not mapped"
                        )
                if spec.derive is not None:
                    self._check_derive(f"tables.{name}.columns.{col}", name, spec)
        return self

    def _check_derive(self, where: str, table: str, spec: ColumnSpec) -> None:
        of_table, of_column = spec.of.split(".")
        if of_table == table or of_table not in self.tables:
            raise ValueError(f"{where}.of: {of_table} is not another mapped table")
        if of_column not in self.tables[of_table].columns:
            raise ValueError(f"{where}.of: {of_column} is not mapped in {of_table}")
        for side in (table, of_table):
            if spec.by not in self.tables[side].columns:
                raise ValueError(f"{where}.by: {spec.by} is not mapped in {side}")
        if self.tables[of_table].spec(of_column).derive is not None:
            raise ValueError(f"{where}.of: {spec.of} is itself derived")


class MappingError(ValueError):
    """The mapping file breaks the schema; the message names the file and the keys."""


def load_mapping(path: str | Path) -> Mapping:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"mapping {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from None
    try:
        return Mapping.model_validate(raw or {})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"  - {where or '(top level)'}: {msg}")
        raise MappingError(f"{path}: mapping is not valid:\n" + "\n".join(problems)) from None


ColumnSpec.model_rebuild()
LookupSpec.model_rebuild()
