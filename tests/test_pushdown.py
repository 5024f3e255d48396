"""Datasets validated in place (DuckDB over Parquet, `analysis.data.pushdown`) and left on disk.

The in-place validator must say exactly what the pandas validator says: every bad file of the
corpus, written as Parquet the way a typed export would hold it, is validated both ways and the
messages compared. The KPI engine must give the same tables over the files as over frames.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.data.contract import TABLES
from analysis.data.dataset import load_dataset
from analysis.data.decode import read_text_table
from analysis.data.pushdown import native
from analysis.data.synth import write_sample
from analysis.data.validate import DataValidationError, parse_column
from analysis.metrics import kpis
from conftest import SMALL_CONFIG, TINY

BAD = Path(__file__).parent / "fixtures" / "bad"
EXPECTED = yaml.safe_load((BAD / "expected.yaml").read_text("utf-8"))


def _typed_parquet(csv: Path, out: Path, table_name: str | None = None) -> None:
    """`csv` as a typed export would write it: a column whose every value parses gets the
    contract's type; a column with an unparseable value stays text (as a sloppy export would)."""
    table = TABLES[table_name or csv.stem]
    raw = read_text_table(csv)
    cols = {}
    for name in raw.columns:
        col = table.column(name) if name in table.column_names else None
        if col is None or col.kind in ("id", "text", "month"):
            cols[name] = raw[name]
            continue
        parsed = parse_column(raw[name], col)
        present = raw[name].notna() & (raw[name].astype("str").str.strip() != "")
        cols[name] = raw[name] if (present & parsed.isna()).any() else parsed
    pd.DataFrame(cols, index=raw.index).to_parquet(out, index=False)


def _as_parquet(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for csv in src.glob("*.csv"):
        _typed_parquet(csv, dst / f"{csv.stem}.parquet")
    shutil.copyfile(src / "dataset.yaml", dst / "dataset.yaml")
    return dst


def _messages(data: Path, lazy: bool) -> tuple[bool, list[str]]:
    try:
        ds = load_dataset(data, lazy=lazy)
    except DataValidationError as exc:
        return False, [str(i).replace(f"{data}/", "") for i in exc.issues]
    return True, [str(i).replace(f"{data}/", "") for i in ds.warnings]


# faults of the CSV text itself (its encoding, its records' shape): a Parquet file has none
CSV_ONLY = ("utf16", "cp874", "empty-file", "title-above", "separator", "unquoted-comma")
CORPUS = [n for n in sorted(EXPECTED) if not any(fault in n for fault in CSV_ONLY)]


@pytest.mark.parametrize("name", CORPUS)
def test_in_place_validation_says_what_pandas_says(name, tmp_path, monkeypatch):
    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    csv_dir = tmp_path / "csv"
    shutil.copytree(TINY, csv_dir)
    shutil.copyfile(BAD / name, csv_dir / f"{name.split('--')[0]}.csv")
    data = _as_parquet(csv_dir, tmp_path / "pq")
    pandas_ok, by_pandas = _messages(data, lazy=False)
    duck_ok, by_duckdb = _messages(data, lazy=True)
    assert duck_ok == pandas_ok
    assert by_duckdb == by_pandas


def test_the_corpus_exercises_the_in_place_validator(tmp_path):
    """Positive control: most bad tables keep native types, so DuckDB (not pandas) checks them."""
    checked = 0
    for name in CORPUS:
        table = name.split("--")[0]
        out = tmp_path / f"{name}.parquet"
        _typed_parquet(BAD / name, out, table)
        checked += native(out, TABLES[table])
    assert checked >= 25, checked


def test_in_place_errors_name_file_column_rule_and_rows(tmp_path, monkeypatch):
    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    data = _as_parquet(TINY, tmp_path / "pq")
    opps = pd.read_parquet(data / "opportunities.parquet")
    opps.loc[[1, 3], "amount"] = -5.0
    opps.to_parquet(data / "opportunities.parquet", index=False)
    with pytest.raises(DataValidationError) as err:
        load_dataset(data, lazy=True)
    assert [str(i) for i in err.value.issues] == [
        f"{data}/opportunities.parquet: opportunities.amount: must be >= 0 — rows 2, 4 — "
        "values -5.0, -5.0"
    ]


@pytest.fixture(scope="module")
def small_parquet(tmp_path_factory) -> Path:
    return write_sample(tmp_path_factory.mktemp("pq") / "data", SMALL_CONFIG, fmt="parquet")


def test_a_lazy_dataset_stays_on_disk_until_asked(small_parquet, monkeypatch):
    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    ds = load_dataset(small_parquet, lazy=True)
    assert all(ds.tables.loaded(t) is None for t in ds.tables)
    assert ds.has("activities") and "activities" in ds.tables
    eager = load_dataset(small_parquet, lazy=False)
    assert ds.as_of == eager.as_of
    pd.testing.assert_frame_equal(ds["opportunities"], eager["opportunities"])
    assert ds.tables.loaded("opportunities") is not None


@pytest.mark.parametrize("level", ["company", "team", "rep"])
def test_kpis_over_parquet_files_equal_kpis_over_frames(small_parquet, level, monkeypatch):
    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    on_disk = load_dataset(small_parquet, lazy=True)
    in_memory = load_dataset(small_parquet, lazy=False)
    months = kpis._all_months(in_memory)
    assert kpis._all_months(on_disk) == months
    got = kpis._kpi_table(on_disk, months, level)
    assert all(on_disk.tables.loaded(t) is None for t in ("opportunities", "activities"))
    pd.testing.assert_frame_equal(got, kpis._kpi_table(in_memory, months, level), rtol=1e-12)


def test_an_optional_column_left_out_of_a_parquet_file_is_null(tmp_path, monkeypatch):
    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    data = _as_parquet(TINY, tmp_path / "pq")
    opps = pd.read_parquet(data / "opportunities.parquet")
    opps.drop(columns=["loss_reason", "lead_id"]).to_parquet(
        data / "opportunities.parquet", index=False
    )
    lazy, eager = load_dataset(data, lazy=True), load_dataset(data, lazy=False)
    months = kpis._all_months(eager)
    pd.testing.assert_frame_equal(
        kpis._kpi_table(lazy, months, "team"), kpis._kpi_table(eager, months, "team")
    )
    assert lazy["opportunities"]["loss_reason"].isna().all()
    assert np.array_equal(lazy["opportunities"].columns, eager["opportunities"].columns)


def test_whitespace_is_pythons():
    """The in-place validator strips what str.strip() strips (the pandas validator's rule)."""
    import sys

    from analysis.data.engine import WHITESPACE_CHARS

    every = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert every == WHITESPACE_CHARS


def test_ids_padded_with_whitespace_are_trimmed_as_pandas_trims_them(tmp_path, monkeypatch):
    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    data = _as_parquet(TINY, tmp_path / "pq")
    opps = pd.read_parquet(data / "opportunities.parquet")
    opps.loc[0, "rep_id"] = "\t" + opps.loc[0, "rep_id"] + "\xa0"  # tab and no-break space
    opps.loc[1, "opportunity_id"] = opps.loc[1, "opportunity_id"] + "\u3000"
    opps.to_parquet(data / "opportunities.parquet", index=False)
    lazy, eager = load_dataset(data, lazy=True), load_dataset(data, lazy=False)
    assert lazy.tables.trim("opportunities") == {"rep_id", "opportunity_id"}
    assert lazy.tables.trim("activities") == frozenset()
    months = kpis._all_months(eager)
    for level in ("team", "rep"):
        pd.testing.assert_frame_equal(
            kpis._kpi_table(lazy, months, level), kpis._kpi_table(eager, months, level)
        )
    # a value of nothing but whitespace is empty, both ways
    opps.loc[2, "rep_id"] = " \t "
    opps.to_parquet(data / "opportunities.parquet", index=False)
    assert _messages(data, lazy=True) == _messages(data, lazy=False)
    assert "opportunities.rep_id: must not be empty — rows 3" in _messages(data, lazy=True)[1][0]


def test_validate_command_on_a_big_parquet_dataset_reads_no_table(small_parquet, monkeypatch):
    """`validate` of a dataset over the lazy threshold (0 bytes here) counts rows from the
    Parquet metadata instead of reading the tables."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "AEM_LAZY_BYTES": "0", "AEM_CACHE_DIR": "off"}
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "validate", "--data", str(small_parquet)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    n = len(pd.read_parquet(small_parquet / "activities.parquet", columns=["activity_id"]))
    assert f"activities {n:,}" in proc.stdout and "valid" in proc.stdout


def test_infinite_numbers_in_a_typed_parquet_file_are_invalid_both_ways(tmp_path, monkeypatch):
    """A float column of a typed export can hold inf (or a value too large for a double): both
    validators call it not a valid float, with the same message, instead of passing it on
    (revenue would become null)."""
    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    data = _as_parquet(TINY, tmp_path / "pq")
    opps = pd.read_parquet(data / "opportunities.parquet")
    opps.loc[[1, 4], "amount"] = [np.inf, -np.inf]
    opps.to_parquet(data / "opportunities.parquet", index=False)
    assert native(data / "opportunities.parquet", TABLES["opportunities"])
    pandas_ok, by_pandas = _messages(data, lazy=False)
    duck_ok, by_duckdb = _messages(data, lazy=True)
    assert not pandas_ok and not duck_ok
    assert by_pandas == [
        "opportunities.parquet: opportunities.amount: is not a valid float — rows 2, 5 — "
        "values inf, -inf"
    ]
    assert by_duckdb == by_pandas


def test_many_unknown_columns_are_one_warning_both_ways(tmp_path, monkeypatch):
    """Issue 18, failure 13: an export with thousands of custom fields printed a warning line per
    column. Past five, one warning counts them and names the first five, in both validators."""
    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    data = _as_parquet(TINY, tmp_path / "pq")
    teams = pd.read_parquet(data / "teams.parquet")
    extra = pd.DataFrame({f"custom_{i:04d}": ["x"] * len(teams) for i in range(2000)})
    pd.concat([teams, extra], axis=1).to_parquet(data / "teams.parquet", index=False)
    pandas_ok, by_pandas = _messages(data, lazy=False)
    duck_ok, by_duckdb = _messages(data, lazy=True)
    assert pandas_ok and duck_ok
    assert by_pandas == [
        "teams.parquet: teams: warning: 2000 unknown columns (not in the contract; ignored): "
        "custom_0000, custom_0001, custom_0002, custom_0003, custom_0004, ..."
    ]
    assert by_duckdb == by_pandas
