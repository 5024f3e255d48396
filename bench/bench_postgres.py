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

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from _results import RESULTS, Targets, save

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import pgserver  # noqa: E402  (tests/pgserver.py: the same server the tests start)

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
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="20,000 rows, 1 run (make test)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    args = parser.parse_args(argv)
    why = pgserver.unavailable()
    if why:
        raise SystemExit(f"bench_postgres: {why}")
    rows, runs = (20_000, 1) if args.smoke else (args.rows, args.runs)
    with pgserver.running() as server, tempfile.TemporaryDirectory() as tmp:
        url = pgserver.create_database(server, "bench")
        filled = fill(url, rows)
        results = [one_run(url, Path(tmp) / f"cache{i}") for i in range(runs)]
    seconds = [r["seconds"] for r in results]
    peaks = [r["peak_bytes"] for r in results]
    med = statistics.median(seconds)
    result = {
        "rows": rows,
        "runs": runs,
        "fill_seconds": filled,
        "seconds": seconds,
        "seconds_median": med,
        "rows_per_second_median": rows / med,
        "peak_rss_bytes": peaks,
        "peak_rss_bytes_median": statistics.median(peaks),
        "tables": results[0]["rows"],
        "targets": {"seconds_at_2m_rows": 60, "peak_rss_bytes": 4 * 1024**3},
    }
    print(
        f"dataset of {rows:,} opportunities (3,000 reps, 300 teams) read from PostgreSQL, median "
        f"of {runs}: {med:.1f} s (range {min(seconds):.1f}-{max(seconds):.1f}) = "
        f"{rows / med:,.0f} rows/s; peak RSS {statistics.median(peaks) / 1024**3:.2f} GB; cold "
        "(a fresh process and an empty cache per run)"
    )
    targets = Targets(smoke=args.smoke)
    if rows >= 2_000_000:
        targets.check("2M opportunities from PostgreSQL", med, "<", 60, " s")
        targets.check("peak memory", statistics.median(peaks) / 1024**3, "<", 4, " GB")
    else:
        print(f"targets: set for 2,000,000 rows, not judged at {rows:,}")
    result["verdicts"] = targets.verdicts
    save("postgres", result, args.out)
    return targets.exit_code()


if __name__ == "__main__":
    raise SystemExit(main())
