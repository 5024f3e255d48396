"""The live PostgreSQL source (issue 20) against a real server the tests start themselves:
Debian's PostgreSQL binaries (`.ci/run` installs the `postgresql` package when missing), a
cluster in a temporary folder, reached on a Unix socket only. The sample company is loaded into
it, read back through `DATA=postgresql://...`, and must give the same dataset, KPIs and reports
as its CSV files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pgserver
import pytest

from analysis.data.contract import TABLES
from analysis.data.dataset import load_dataset


@pytest.fixture(scope="module")
def server():
    """A PostgreSQL server on a Unix socket in a temporary folder (tests/pgserver.py)."""
    why = pgserver.unavailable()
    if why:
        pytest.skip(why)
    with pgserver.running() as url:
        yield url


def _database(server: str, name: str, tables: dict[str, pd.DataFrame], meta: dict | None) -> str:
    """A new database holding `tables` (as Arrow gives their types) and a `dataset` row."""
    import adbc_driver_postgresql.dbapi as pg
    import pyarrow as pa

    url = pgserver.create_database(server, name)
    with pg.connect(url) as conn, conn.cursor() as cur:
        for table, frame in tables.items():
            # months as a replica keeps them: the first day of the month, a date
            months = frame.select_dtypes("period[M]").columns
            frame = frame.assign(**{m: frame[m].dt.start_time.dt.date for m in months})
            cur.adbc_ingest(table, pa.Table.from_pandas(frame, preserve_index=False), mode="create")
        if meta:
            cur.adbc_ingest("dataset", pa.Table.from_pylist([meta]), mode="create")
        conn.commit()
    return url


@pytest.fixture(scope="module")
def sample_db(server, small_dataset):
    """The small sample company, loaded into PostgreSQL from its validated CSV tables."""
    ds = load_dataset(small_dataset)
    meta = {"name": ds.name, "timezone": ds.timezone, "currency": ds.currency}
    tables = {name: ds[name] for name in ds.tables}
    return _database(server, "sample", tables, meta)


def test_a_database_gives_the_same_dataset_as_its_files(sample_db, small_dataset, tmp_path):
    """Every table read from PostgreSQL (streamed to Parquet, cast to the contract's types)
    equals the CSV's as validated, and the KPIs match; an unchanged database gives the same
    content hash (so the batch re-renders nothing)."""
    from analysis.metrics.kpis import kpis_for

    os.environ["AEM_CACHE_DIR"] = str(tmp_path / "cache")
    try:
        from_db = load_dataset(sample_db)
        from_files = load_dataset(small_dataset)
        assert sorted(from_db.tables) == sorted(from_files.tables)
        for name in from_files.tables:
            key = list(TABLES[name].key)
            a = from_db[name].sort_values(key, ignore_index=True)
            b = from_files[name].sort_values(key, ignore_index=True)
            pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=name)
        assert (from_db.name, from_db.timezone, from_db.currency) == (
            from_files.name,
            from_files.timezone,
            from_files.currency,
        )
        month = from_files.latest_complete_month
        team = from_files["teams"]["team_id"].iloc[0]
        # the same values (sums in another row order may differ in the last bit)
        db_kpis, file_kpis = (
            kpis_for(from_db, month, team=team),
            kpis_for(from_files, month, team=team),
        )
        assert db_kpis.keys() == file_kpis.keys()
        for key, value in file_kpis.items():
            assert db_kpis[key] == (value if value is None else pytest.approx(value)), key
        assert load_dataset(sample_db).content_hash == from_db.content_hash
    finally:
        os.environ.pop("AEM_CACHE_DIR")


def test_a_password_in_the_url_is_refused_and_never_shown(server):
    """Credentials come from PGPASSWORD, ~/.pgpass or a service file: a URL with a password is
    refused before anything connects, and the message does not repeat it."""
    url = server.replace("postgresql:///", "postgresql://aem:s3cret@localhost/")
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "validate", "--data", url],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert "PGPASSWORD" in proc.stderr and "s3cret" not in proc.stderr


def test_a_database_without_the_required_tables_is_named(server):
    url = _database(server, "empty", {}, None)
    with pytest.raises(ValueError, match=r"no table\(s\) teams, reps, opportunities"):
        load_dataset(url)


@pytest.mark.e2e
@pytest.mark.xdist_group("kernels")
def test_a_report_from_the_database_is_the_report_from_its_files(
    sample_db, small_dataset, tmp_path, monkeypatch
):
    """The batch renders a team's report from PostgreSQL: the same HTML as from the CSV files
    but for what names the source (the folder read, the data's content hash)."""
    from analysis.reports.batch import run_monthly

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    monkeypatch.setenv("AEM_CACHE_DIR", str(tmp_path / "cache"))
    team = load_dataset(small_dataset)["teams"]["team_id"].iloc[0]
    pages = {}
    for label, data in (("files", small_dataset), ("database", sample_db)):
        results = run_monthly(
            data,
            teams=[team],
            renderer="builtin",
            reports_dir=tmp_path / label / "reports",
            build_dir=tmp_path / label / "build",
            echo=lambda _m: None,
        )
        assert results[0].ok, results[0].error
        (page,) = (tmp_path / label / "reports").glob(f"*/{team}/report.html")
        text = page.read_text(encoding="utf-8")
        ds = load_dataset(small_dataset if label == "files" else sample_db)
        for source in (str(ds.path), ds.content_hash[:16], ds.content_hash[:12]):
            assert source in text, (label, source)
            text = text.replace(source, "SOURCE")
        pages[label] = text
    assert pages["database"] == pages["files"]


def test_a_mapping_reads_its_sources_with_sql_queries(server, tmp_path):
    """A mapping's `source: {sql: ...}` runs against the database given among the sources; the
    same export held in tables gives the same dataset as its CSV files (lookups included)."""
    import yaml

    from analysis.data.importer import import_dataset

    export = Path(__file__).parent / "fixtures" / "crm_export"
    files = {
        f: pd.read_csv(export / f"{f}.csv", dtype=str, keep_default_na=False)
        for f in ("sales_pipeline", "sales_teams", "products")
    }
    url = _database(server, "crm", files, None)
    mapping = yaml.safe_load((export / "mapping.yaml").read_text(encoding="utf-8"))
    for spec in mapping["tables"].values():
        spec["source"] = {"sql": f"SELECT * FROM {spec['source'].removesuffix('.csv')}"}
    lookup = mapping["tables"]["opportunities"]["columns"]["amount"]["first_of"][1]["lookup"]
    lookup["source"] = {"sql": "SELECT product, sales_price FROM products"}
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(mapping), encoding="utf-8")
    from_db = import_dataset(path, [url], tmp_path / "db")
    csvs = [export / f"{f}.csv" for f in files]
    from_files = import_dataset(export / "mapping.yaml", csvs, tmp_path / "files")
    for name, frame in from_files.tables.items():
        pd.testing.assert_frame_equal(from_db.tables[name], frame, obj=name)
    assert [w.rule for w in from_db.warnings] == [w.rule for w in from_files.warnings]
    # without a database among the sources, the mapping says what it needs
    with pytest.raises(ValueError, match="an SQL source needs a postgresql:// database"):
        import_dataset(path, csvs, tmp_path / "none")
