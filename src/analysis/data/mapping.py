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
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from analysis.data.contract import TABLES

__all__ = ["ColumnSpec", "TableSpec", "Mapping", "MappingError", "load_mapping"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnSpec(_Strict):
    """Where one contract column comes from: exactly one of column, value, template, id_from."""

    column: str | None = None  # a source column
    value: str | float | int | bool | None = None  # a constant
    template: str | None = None  # "{First Name} {Last Name}": source columns in braces
    id_from: list[str] | None = None  # a stable id: hash of these source columns' values
    prefix: str | None = None  # id_from: the id's prefix (default: the table's first letter)
    default: str | float | int | None = None  # column: the value where the source cell is empty
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
        given = [
            k for k in ("column", "value", "template", "id_from") if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of column, value, template, id_from"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    def source_columns(self) -> list[str]:
        if self.column is not None:
            return [self.column]
        if self.template is not None:
            import string

            return [f for _, f, _, _ in string.Formatter().parse(self.template) if f]
        return list(self.id_from or [])


class TableSpec(_Strict):
    source: str  # file name of one of the SOURCE arguments
    sheet: str | int | None = None  # Excel: sheet name or index (default: the first)
    encoding: str | None = None  # CSV: e.g. cp874 for Thai Windows exports (default UTF-8)
    delimiter: str | None = None  # CSV: default ","
    date_format: str | None = None
    dayfirst: bool = False
    buddhist_era: bool = False
    distinct: bool = False  # one row per key (derived tables such as teams from a manager column)
    where: dict[str, list[str]] | None = None  # keep source rows whose column has one of these
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
        return self


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
