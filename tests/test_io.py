"""Loading and validation against the data contract: every rule gives a message naming the file,
table, column, rule and rows, and all problems are reported at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.data.contract import TABLES
from analysis.data.dataset import load_dataset
from analysis.data.validate import DataValidationError
from analysis.data.write import write_dataset
from conftest import TINY


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _error(path: Path) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        load_dataset(path)
    return info.value


def test_tiny_fixture_loads_with_types():
    ds = load_dataset(TINY)
    assert set(ds.tables) == set(TABLES) - {"stage_history", "opportunity_snapshots"}
    opps = ds["opportunities"]
    assert len(opps) == 9
    assert pd.api.types.is_datetime64_any_dtype(opps["closed_at"])
    assert opps["amount"].dtype == "float64"
    assert opps["closed_at"].isna().sum() == 1  # o5 is open
    assert isinstance(ds["quotas"]["month"].dtype, pd.PeriodDtype)
    assert ds["teams"].set_index("team_id").loc["north", "team_name"] == "ทีมภาคเหนือ"
    assert ds.as_of == pd.Timestamp("2026-03-31")
    assert str(ds.latest_complete_month) == "2026-03"
    assert ds.currency == "THB" and ds.timezone == "Asia/Bangkok"
    assert len(ds.content_hash) == 64


def test_content_hash_changes_with_the_data(tiny_copy):
    before = load_dataset(tiny_copy).content_hash
    _replace(tiny_copy / "opportunities.csv", ",60000,", ",60001,")
    assert load_dataset(tiny_copy).content_hash != before


def test_content_hash_is_reused_only_while_the_files_stat_is_unchanged(tiny_copy, monkeypatch):
    """Each part of a report opens the dataset, and hashing a 1.5 GB company took 1.1 s each
    time: a process reuses its hash while every file's stat (size, inode, modification and change
    times) is the same. A rewrite of the same size with the modification time set back still
    changes the change time, so it is hashed again; and a file changed within _RACY_SECONDS of
    being hashed is hashed again next time (its stat could repeat with other content)."""
    import analysis.data.dataset as dataset

    calls = []
    real = dataset._hash_files
    monkeypatch.setattr(dataset, "_hash_files", lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(dataset, "_HASHED", {})
    first = load_dataset(tiny_copy).content_hash  # the files were written just now: racy
    assert load_dataset(tiny_copy).content_hash == first and len(calls) == 2
    monkeypatch.setattr(dataset, "_RACY_SECONDS", -1.0)  # as if written long ago
    load_dataset(tiny_copy)
    assert load_dataset(tiny_copy).content_hash == first and len(calls) == 3
    f = tiny_copy / "opportunities.csv"
    st = f.stat()
    time.sleep(0.05)  # past a tick of the file system's clock: the change time moves
    _replace(f, ",60000,", ",60001,")  # the same size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert f.stat().st_size == st.st_size and f.stat().st_mtime_ns == st.st_mtime_ns
    assert load_dataset(tiny_copy).content_hash != first and len(calls) == 4


def test_missing_required_column(tiny_copy):
    path = tiny_copy / "opportunities.csv"
    df = pd.read_csv(path, dtype=str)
    df.drop(columns=["amount"]).to_csv(path, index=False)
    err = _error(tiny_copy)
    assert "opportunities.csv: opportunities.amount: required column is missing" in str(err)


def test_optional_nullable_column_may_be_left_out(tiny_copy):
    path = tiny_copy / "opportunities.csv"
    pd.read_csv(path, dtype=str).drop(columns=["loss_reason", "lead_id"]).to_csv(path, index=False)
    ds = load_dataset(tiny_copy)
    assert ds["opportunities"]["loss_reason"].isna().all()


def test_wrong_type_names_rows_and_values(tiny_copy):
    _replace(tiny_copy / "opportunities.csv", ",40000,", ",forty thousand,")
    err = _error(tiny_copy)
    issue = next(i for i in err.issues if i.column == "amount")
    assert issue.rule == "is not a valid float"
    assert issue.rows == (2,)  # o2 is the second data row
    assert "'forty thousand'" in str(err)
    assert "opportunities.csv: opportunities.amount: is not a valid float — rows 2" in str(err)


def test_bad_enum(tiny_copy):
    _replace(tiny_copy / "opportunities.csv", "negotiation", "negotiating")
    err = _error(tiny_copy)
    assert "opportunities.stage: must be one of prospecting" in str(err)
    assert "rows 5" in str(err)


def test_duplicate_key(tiny_copy):
    _replace(tiny_copy / "reps.csv", "r3,", "r1,")
    err = _error(tiny_copy)
    assert "reps.rep_id: duplicate key (must be unique) — rows 1, 3" in str(err)


def test_dangling_foreign_key(tiny_copy):
    _replace(tiny_copy / "opportunities.csv", "o6,a3,r3", "o6,a3,r9")
    err = _error(tiny_copy)
    assert (
        "opportunities.rep_id: refers to a missing reps.rep_id — rows 6 (line 7) — values 'r9'"
        in str(err)
    )


def test_closed_before_created(tiny_copy):
    _replace(tiny_copy / "opportunities.csv", "2026-01-20 15:00:00", "2025-12-20 15:00:00")
    err = _error(tiny_copy)
    assert (
        "opportunities.closed_at, created_at: closed_at must not be before created_at — rows 4"
        in str(err)
    )


def test_closed_stage_needs_closed_at(tiny_copy):
    _replace(tiny_copy / "opportunities.csv", "2026-01-15 10:00:00,closed_won", ",closed_won")
    err = _error(tiny_copy)
    assert "closed_at is set exactly when stage is closed_won or closed_lost — rows 1" in str(err)


def test_negative_amount(tiny_copy):
    _replace(tiny_copy / "opportunities.csv", ",25000,", ",-25000,")
    err = _error(tiny_copy)
    assert "opportunities.amount: must be >= 0 — rows 4 (line 5) — values '-25000'" in str(err)


def test_bad_month_and_slug(tiny_copy):
    _replace(tiny_copy / "quotas.csv", "r1,2026-02", "r1,2026-13")
    _replace(tiny_copy / "teams.csv", "south,", "South Team,")
    _replace(tiny_copy / "reps.csv", "r3,ปราณี ทองดี,south", "r3,ปราณี ทองดี,South Team")
    err = _error(tiny_copy)
    text = str(err)
    assert "quotas.month: is not a valid month — rows 2 (line 3) — values '2026-13'" in text
    assert "teams.team_id: must match" in text


def test_undecodable_file(tiny_copy):
    (tiny_copy / "teams.csv").write_bytes(b"team_id,team_name\nnorth," + "ทีม".encode("cp874"))
    err = _error(tiny_copy)
    assert "teams.csv: teams: is not UTF-8 text" in str(err)


def test_missing_required_table(tiny_copy):
    (tiny_copy / "reps.csv").unlink()
    err = _error(tiny_copy)
    assert "reps: required table is missing" in str(err)


def test_all_problems_reported_at_once(tiny_copy):
    _replace(tiny_copy / "opportunities.csv", ",25000,", ",-25000,")
    _replace(tiny_copy / "accounts.csv", "18.79", "118.79")
    err = _error(tiny_copy)
    assert {(i.table, i.column) for i in err.issues} >= {
        ("opportunities", "amount"),
        ("accounts", "latitude"),
    }
    assert "2 problem(s)" in str(err)


def test_parquet_roundtrip(tmp_path):
    ds = load_dataset(TINY)
    write_dataset(
        ds.tables, tmp_path / "pq", meta={"name": "tiny-pq", "as_of": "2026-03-31"}, fmt="parquet"
    )
    again = load_dataset(tmp_path / "pq")
    for name, df in ds.tables.items():
        pd.testing.assert_frame_equal(again[name], df, check_dtype=False)


def test_csv_and_parquet_for_one_table_is_an_error(tiny_copy):
    load_dataset(tiny_copy)["teams"].to_parquet(tiny_copy / "teams.parquet")
    err = _error(tiny_copy)
    assert "both a .csv and a .parquet file" in str(err)


def test_cli_validate_exits_2_with_the_message(tiny_copy):
    _replace(tiny_copy / "opportunities.csv", ",25000,", ",-25000,")
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "validate", "--data", str(tiny_copy)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "opportunities.amount: must be >= 0" in proc.stderr


def test_cli_validate_ok():
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "validate", "--data", str(TINY)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "valid" in proc.stdout


def test_every_contract_table_is_documented():
    doc = (Path(__file__).parents[1] / "docs" / "data-contract.md").read_text(encoding="utf-8")
    for name, table in TABLES.items():
        assert f"## `{name}`" in doc
        for col in table.column_names:
            assert f"| `{col}` |" in doc


def test_a_validated_dataset_is_cached_and_a_changed_one_revalidated(
    tiny_copy, tmp_path, monkeypatch
):
    import analysis.data.dataset as io_module

    monkeypatch.setenv("AEM_CACHE_DIR", str(tmp_path / "cache"))
    first = load_dataset(tiny_copy)
    assert len(list((tmp_path / "cache").glob("dataset-*.pkl"))) == 1

    def no_validation(*_a, **_k):
        raise AssertionError("validated again although nothing changed")

    with monkeypatch.context() as m:
        m.setattr(io_module, "validate_table", no_validation)
        again = load_dataset(tiny_copy)
    assert again.content_hash == first.content_hash and again.path == first.path
    for name, frame in first.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], frame)
    # a changed file has a new content hash: parsed and validated again, errors and all
    opps = tiny_copy / "opportunities.csv"
    lines = opps.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("amount")] = "-1"
    opps.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="must be >= 0"):
        load_dataset(tiny_copy)
    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    from analysis.data import cache

    assert cache.entry("dataset", "x") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "name: [unclosed\n",
            "dataset.yaml: dataset: is not valid YAML at line 2, column 1: expected ',' or ']', "
            "but got '<stream end>'",
        ),
        (
            "- a\n- b\n",
            "dataset.yaml: dataset: must be a mapping of keys (name, timezone, currency, as_of), "
            "not a list",
        ),
        ("as_of: garbage\n", "dataset.yaml: dataset.as_of: is not a date (YYYY-MM-DD): 'garbage'"),
    ],
)
def test_a_broken_dataset_yaml_is_a_validation_error_naming_file_and_key(
    tiny_copy, content, message, monkeypatch
):
    """Issue 18, failure 9: a traceback (bad YAML, a list) or an error without the file
    (as_of: garbage) before; now the file and key, with the tables' problems, exit 2."""
    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    (tiny_copy / "dataset.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(DataValidationError) as err:
        load_dataset(tiny_copy)
    assert [str(i).replace(f"{tiny_copy}/", "") for i in err.value.issues] == [message]
    run = subprocess.run(
        [sys.executable, "-m", "analysis", "validate", "--data", str(tiny_copy)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AEM_CACHE_DIR": "off"},
    )
    assert run.returncode == 2 and "dataset.yaml" in run.stderr and "Traceback" not in run.stderr
