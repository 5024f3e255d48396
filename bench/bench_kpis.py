"""KPI engine benchmark: the sample in memory, and a large company's Parquet files against the SQL floor.

Run with `make bench` (or `python bench/bench_kpis.py [--scale S] [--runs N] [--smoke]`).

1. Sample: every KPI x company/team/rep x all months of the default sample, in memory (median of
   `--runs`).
2. Scale: the benchmark company at `--scale` (1 = 300 teams, 3,000 seats, ~5M opportunities,
   ~50M activities; `make bench-data SCALE=...` writes it, and it is generated here when missing).
   Each run is a fresh process: load the dataset (hash, validate in place in DuckDB) and compute
   the team KPI table for every month (`kpi_table(ds, level="team")`), measuring wall time of
   each step and the process's peak resident memory. In the same run, another fresh process runs
   the hand-written floor, bench/kpi_floor.sql (one DuckDB query over the same files, no
   validation), and the two tables are checked to be equal. Every run is cold: a fresh process
   with its own empty dataset cache. Targets (issue 9): load + KPIs under 120 s and 8 GB at
   scale 1; KPI table within 1.5x of the floor. Each prints PASS or FAIL; a miss exits 1.

Prints medians and ranges and writes bench/results/kpis-<timestamp>.json with machine info.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from _results import RESULTS, Targets, save

from analysis.data import engine
from analysis.data.dataset import load_dataset
from analysis.data.synth import SynthConfig, write_sample, write_scaled
from analysis.metrics.kpis import KPIS, _all_months, _kpi_table, kpi_table
from analysis.paths import PROJECT_ROOT

FLOOR_SQL = Path(__file__).with_name("kpi_floor.sql")
# DuckDB's limit in both processes: the project's (analysis.data.engine, AEM_DUCKDB_MEMORY)
MEMORY_LIMIT = engine.MEMORY_LIMIT


def _stats(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _all_levels(ds) -> int:
    """Compute (not look up: the batch shares one table per dataset) every level's table."""
    months = _all_months(ds)
    return sum(len(_kpi_table(ds, months, level)) for level in ("company", "team", "rep"))


def time_sample(runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        ds = load_dataset(write_sample(Path(tmp) / "d", SynthConfig()))
        rows = _all_levels(ds)  # warm-up
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            _all_levels(ds)
            times.append(time.perf_counter() - start)
    return {
        "dataset": "default sample (6 teams, 60 seats, 36 months), in memory",
        "rows": rows,
        "runs": runs,
        "seconds": _stats(times),
        "target_seconds": 5.0,
    }


# -- the measured processes ------------------------------------------------------------------


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def child_project(data: Path, table_out: Path | None) -> dict:
    os.environ["AEM_CACHE_DIR"] = "off"  # cold: nothing validated or computed before
    start = time.perf_counter()
    ds = load_dataset(data, lazy=True)
    loaded = time.perf_counter()
    table = kpi_table(ds, level="team")
    done = time.perf_counter()
    if table_out is not None:
        table.assign(month=table["month"].map(lambda p: p.ordinal)).to_parquet(table_out)
    return {
        "load_validate_seconds": loaded - start,
        "kpi_seconds": done - loaded,
        "total_seconds": done - start,
        "peak_rss_bytes": _peak_rss(),
        "rows": len(table),
        "in_memory_tables": [t for t in ds.tables if ds.tables.loaded(t) is not None],
    }


def _month_ordinal(ts) -> int:
    return (ts.year - 1970) * 12 + ts.month - 1


def child_floor(data: Path, table_out: Path | None) -> dict:
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT})
    first = con.execute(f"SELECT min(created_at) FROM '{data}/opportunities.parquet'").fetchone()
    as_of = pd.Timestamp(yaml.safe_load((data / "dataset.yaml").read_text())["as_of"])
    last = as_of if (as_of + pd.Timedelta(days=1)).day == 1 else as_of - pd.offsets.MonthEnd(1)
    sql = "\n".join(ln for ln in FLOOR_SQL.read_text().splitlines() if not ln.startswith("--"))
    sql = sql.format(dir=data, lo=_month_ordinal(first[0]), hi=_month_ordinal(last))
    *setup, query = [s for s in sql.split(";") if s.strip()]
    for statement in setup:
        con.execute(statement)
    table = con.execute(query).df()
    done = time.perf_counter()
    if table_out is not None:
        table.to_parquet(table_out)
    return {"seconds": done - start, "peak_rss_bytes": _peak_rss(), "rows": len(table)}


def _run_child(kind: str, data: Path, table_out: Path | None) -> dict:
    """One run in a fresh process with its own empty dataset cache: cold (the validated dataset
    of an earlier run is not reused)."""
    cmd = [sys.executable, __file__, "--child", kind, "--data", str(data)]
    if table_out is not None:
        cmd += ["--table-out", str(table_out)]
    with tempfile.TemporaryDirectory() as cache_dir:
        env = dict(os.environ, AEM_CACHE_DIR=cache_dir)
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=PROJECT_ROOT, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _compare(project: Path, floor: Path) -> list[str]:
    """KPIs where the project's table and the floor's differ (beyond 1e-9 relative)."""
    a = pd.read_parquet(project).sort_values(["scope_id", "month"], ignore_index=True)
    b = pd.read_parquet(floor).sort_values(["scope_id", "month"], ignore_index=True)
    if len(a) != len(b) or not (a["scope_id"].to_numpy() == b["scope_id"].to_numpy()).all():
        return ["(rows differ)"]
    return [
        k
        for k in KPIS
        if not np.allclose(a[k].to_numpy(float), b[k].to_numpy(float), rtol=1e-9, equal_nan=True)
    ]


def time_scale(scale: float, runs: int, data: Path | None) -> dict:
    data = data or PROJECT_ROOT / "data" / f"bench-{scale:g}"
    generated = None
    if not (data / "dataset.yaml").is_file():
        print(f"generating the scale-{scale:g} company in {data} ...", flush=True)
        start = time.perf_counter()
        write_scaled(data, scale, jobs=2, progress=lambda _: None)
        generated = time.perf_counter() - start
    meta = yaml.safe_load((data / "dataset.yaml").read_text())
    project, floor = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tables = Path(tmp)
        for i in range(runs):
            first = i == 0  # the first run also checks the two tables agree
            project.append(_run_child("project", data, tables / "p.parquet" if first else None))
            floor.append(_run_child("floor", data, tables / "f.parquet" if first else None))
            print(
                f"  run {i + 1}: load+validate {project[-1]['load_validate_seconds']:.1f} s, "
                f"KPIs {project[-1]['kpi_seconds']:.1f} s, floor {floor[-1]['seconds']:.1f} s",
                flush=True,
            )
        mismatched = _compare(tables / "p.parquet", tables / "f.parquet")
    kpi = [p["kpi_seconds"] for p in project]
    total = [p["total_seconds"] for p in project]
    floor_s = [f["seconds"] for f in floor]
    return {
        "dataset": str(data),
        "scale": scale,
        "input_rows": meta.get("rows"),
        "generated_seconds": generated,
        "runs": runs,
        "kpi_table_rows": project[0]["rows"],
        "load_validate_seconds": _stats([p["load_validate_seconds"] for p in project]),
        "kpi_seconds": _stats(kpi),
        "total_seconds": _stats(total),
        "peak_rss_bytes": _stats([p["peak_rss_bytes"] for p in project]),
        "floor_seconds": _stats(floor_s),
        "floor_peak_rss_bytes": _stats([f["peak_rss_bytes"] for f in floor]),
        "kpi_vs_floor": statistics.median(kpi) / statistics.median(floor_s),
        "total_vs_floor": statistics.median(total) / statistics.median(floor_s),
        "in_memory_tables": project[0]["in_memory_tables"],
        "tables_equal_floor": not mismatched,
        "kpis_differing_from_floor": mismatched,
        "targets": {"total_seconds": 120, "peak_rss_gb": 8, "kpi_vs_floor": 1.5},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--data", type=Path, default=None, help="default data/bench-<scale>")
    parser.add_argument("--smoke", action="store_true", help="tiny scale, one run (for tests)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--child", choices=["project", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--table-out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run = child_project if args.child == "project" else child_floor
        print(json.dumps(run(args.data, args.table_out)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        if args.smoke:
            args.runs, args.scale = 1, 0.005
            args.data = args.data or Path(tmp) / "bench"
        result = {
            "sample": time_sample(args.runs),
            "scale": time_scale(args.scale, args.runs, args.data),
        }
    s, b = result["sample"], result["scale"]
    print(
        f"sample, every KPI x company/team/rep x all months ({s['rows']} rows): median "
        f"{s['seconds']['median']:.2f} s (range {s['seconds']['min']:.2f}-{s['seconds']['max']:.2f})"
    )
    gb = 2**30
    print(
        f"scale {b['scale']:g} ({b['input_rows']['opportunities']:,} opportunities, "
        f"{b['input_rows']['activities']:,} activities), team KPIs x {b['kpi_table_rows']:,} rows, "
        f"median of {b['runs']}:\n"
        f"  load + validate {b['load_validate_seconds']['median']:.1f} s, KPI table "
        f"{b['kpi_seconds']['median']:.1f} s (range {b['kpi_seconds']['min']:.1f}-"
        f"{b['kpi_seconds']['max']:.1f}), total {b['total_seconds']['median']:.1f} s "
        f"(range {b['total_seconds']['min']:.1f}-{b['total_seconds']['max']:.1f}; target < 120 s), "
        f"peak {b['peak_rss_bytes']['median'] / gb:.2f} GB (target < 8 GB)\n"
        f"  SQL floor {b['floor_seconds']['median']:.1f} s (range {b['floor_seconds']['min']:.1f}-"
        f"{b['floor_seconds']['max']:.1f}), peak {b['floor_peak_rss_bytes']['median'] / gb:.2f} GB; "
        f"KPI table / floor {b['kpi_vs_floor']:.2f}x (target <= 1.5x), load + KPIs / floor "
        f"{b['total_vs_floor']:.2f}x; tables equal: {b['tables_equal_floor']}"
    )
    targets = Targets(smoke=args.smoke)
    if b["scale"] >= 1:  # the figures are for the national company (scale 1)
        targets.check("load + KPIs (cold)", b["total_seconds"]["median"], "<", 120, " s")
        targets.check("peak memory", b["peak_rss_bytes"]["median"] / gb, "<", 8, " GB")
    targets.check("KPI table / SQL floor", b["kpi_vs_floor"], "<=", 1.5, "x")
    result["verdicts"] = targets.verdicts
    save("kpis", result, out=args.out, pandas=pd.__version__)
    if not b["tables_equal_floor"]:
        print(f"error: the KPI table differs from the floor's in {b['kpis_differing_from_floor']}")
        return 1
    return targets.exit_code()


if __name__ == "__main__":
    raise SystemExit(main())
