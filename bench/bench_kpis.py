"""KPI engine benchmark: wall time for every KPI at every level, and peak memory against data size.

Run with `make bench`. Prints a table and writes bench/results/kpis-<timestamp>.json with machine
info. Timings are medians of several runs (the machine is shared and noisy); memory is the
tracemalloc peak of the KPI computation alone (numpy and pandas report their buffers to it),
for sample datasets at several scales, so linear growth shows as a constant peak per row.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import pandas as pd
from _results import save

from analysis.io import load_dataset
from analysis.kpis import kpi_table
from analysis.synth import SynthConfig, write_sample


def _all_levels(ds) -> int:
    return sum(len(kpi_table(ds, level=level)) for level in ("company", "team", "rep"))


def time_default(runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        ds = load_dataset(write_sample(Path(tmp) / "d", SynthConfig()))
        rows = _all_levels(ds)  # warm-up
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            _all_levels(ds)
            times.append(time.perf_counter() - start)
    return {
        "dataset": "default sample (6 teams, 60 seats, 36 months)",
        "rows": rows,
        "runs": runs,
        "seconds_median": statistics.median(times),
        "seconds_min": min(times),
        "seconds_max": max(times),
        "target_seconds": 5.0,
    }


def memory_by_scale(scales: list[float]) -> list[dict]:
    out = []
    for scale in scales:
        with tempfile.TemporaryDirectory() as tmp:
            ds = load_dataset(write_sample(Path(tmp) / "d", SynthConfig(scale=scale)))
            n_rows = sum(len(df) for df in ds.tables.values())
            tracemalloc.start()
            _all_levels(ds)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        out.append(
            {
                "scale": scale,
                "input_rows": n_rows,
                "peak_mb": peak / 2**20,
                "peak_bytes_per_input_row": peak / n_rows,
            }
        )
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scales", default="0.5,1,2,4")
    args = parser.parse_args(argv)
    result = {
        "time": time_default(args.runs),
        "memory": memory_by_scale([float(s) for s in args.scales.split(",")]),
    }
    t = result["time"]
    print(
        f"KPI table, every KPI x company/team/rep x all months ({t['rows']} rows): "
        f"median {t['seconds_median']:.2f} s over {t['runs']} runs (min {t['seconds_min']:.2f}, "
        f"max {t['seconds_max']:.2f}); target < {t['target_seconds']:.0f} s"
    )
    print(f"{'scale':>6} {'input rows':>11} {'peak MB':>8} {'bytes/row':>10}")
    for m in result["memory"]:
        print(
            f"{m['scale']:>6} {m['input_rows']:>11,} {m['peak_mb']:>8.1f} {m['peak_bytes_per_input_row']:>10.0f}"
        )
    save("kpis", result, pandas=pd.__version__)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
