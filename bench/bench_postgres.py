"""PostgreSQL-source benchmark (issue 20): a dataset of N opportunities read from a live database.

Run with `make bench` (or `python bench/bench_postgres.py [--rows N] [--runs N] [--smoke]`).
Starts a throwaway PostgreSQL server (tests/pgserver.py: Debian's server binaries, a Unix socket
in a temporary folder), fills it in SQL with 3,000 reps in 300 teams and N opportunities, then
times `load_dataset("postgresql://...")` in a fresh process per run, with an empty cache: the
tables streamed through ADBC into Parquet (`analysis.data.postgres`), then validated as files.
Peak memory is that process's maximum resident set size. Target: 2 million opportunities in under
60 s and under 4 GB (the CSV import of issue 8 took 26.9 s and 1.6 GB). Prints the median and
range and writes bench/results/postgres-<timestamp>.json with machine info.
"""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from _results import finish_rows, measured, rows_args, rows_result

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import pgserver  # tests/pgserver.py: the same server the tests start

FILL = """
CREATE TABLE teams AS
  SELECT 'team-' || t AS team_id, 'Team ' || t AS team_name, 'Manager ' || t AS manager_name,
         'Region ' || (t % 6) AS region
  FROM generate_series(1, 300) t;
CREATE TABLE reps AS
  SELECT 'rep-' || r AS rep_id, 'Rep ' || r AS rep_name, 'team-' || (1 + r % 300) AS team_id,
         DATE '2022-01-01' AS hire_date, 'Territory ' || (r % 50) AS territory,
         NULL::date AS left_date
  FROM generate_series(1, 3000) r;
CREATE TABLE opportunities AS
  SELECT 'opp-' || o AS opportunity_id, 'acct-' || (o % 20000) AS account_id,
         'rep-' || (1 + o % 3000) AS rep_id, NULL::text AS lead_id,
         created AS created_at, (created + INTERVAL '60 days')::date AS expected_close_date,
         CASE WHEN o % 3 = 0 THEN NULL ELSE created + INTERVAL '45 days' END AS closed_at,
         CASE o % 3 WHEN 0 THEN 'proposal' WHEN 1 THEN 'closed_won' ELSE 'closed_lost' END
           AS stage,
         (1000 + (o::bigint * 7919) % 5000000)::numeric(14, 2) AS amount, 'Product ' || (o % 5) AS product,
         'new_business' AS deal_type,
         CASE WHEN o % 3 = 2 THEN 'price' END AS loss_reason, NULL::text AS forecast_category
  FROM generate_series(1, {rows}) o,
       LATERAL (SELECT TIMESTAMP '2023-01-01' + (o % 1000) * INTERVAL '1 day' AS created) c;
CREATE TABLE dataset AS
  SELECT 'postgres benchmark' AS name, 'Asia/Bangkok' AS timezone, 'THB' AS currency;
"""


def fill(url: str, rows: int) -> float:
    """The benchmark company in the database at `url`, made in SQL; seconds it took."""
    import adbc_driver_postgresql.dbapi as pg

    start = time.perf_counter()
    with pg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        for statement in FILL.format(rows=rows).split(";"):
            if statement.strip():
                cur.execute(statement)
    return time.perf_counter() - start


def one_run(url: str, cache: Path) -> dict:
    code = textwrap.dedent(
        f"""
        import json, resource, time
        from analysis.data.dataset import load_dataset
        start = time.perf_counter()
        ds = load_dataset({url!r})
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({{"seconds": seconds, "peak_bytes": peak,
                          "rows": {{n: ds.tables.rows(n) for n in ds.tables}}}}))
        """
    )
    env = {**os.environ, "AEM_CACHE_DIR": str(cache)}  # empty: nothing cached, a cold read
    return measured(code, env)


def main(argv=None) -> int:
    args = rows_args(__doc__.splitlines()[0], argv)
    why = pgserver.unavailable()
    if why:
        raise SystemExit(f"bench_postgres: {why}")
    rows, runs = args.rows, args.runs
    with pgserver.running() as server, tempfile.TemporaryDirectory() as tmp:
        url = pgserver.create_database(server, "bench")
        filled = fill(url, rows)
        results = [one_run(url, Path(tmp) / f"cache{i}") for i in range(runs)]
    result = rows_result(rows, results, fill_seconds=filled)
    what = f"{rows:,} opportunities from PostgreSQL (3,000 reps, 300 teams)"
    how = "cold (a fresh process and an empty cache per run)"
    return finish_rows("postgres", result, what, how, args.smoke, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
