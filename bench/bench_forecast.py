"""Forecast benchmark: fitting and backtesting every team plus the company, and the backtest
accuracy of the settings variants the defaults were chosen from.

Run with `make bench` (or `python bench/bench_forecast.py [--runs N] [--no-variants]`). Prints
the median wall time of `prepare` + `forecast_scope` for the company and every team over several
cold runs (each with an empty cache; target: under 60 s on a 2-core machine, PASS/FAIL, a miss
exits 1), Prophet fits per second, and for each variant
(working-days regressor, Fourier order, trailing window) each model's all-horizon MASE averaged
over the scopes. Writes bench/results/forecast-<timestamp>.json with machine info.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd
from _results import RESULTS, Targets, save

from analysis import forecast as F
from analysis.data.dataset import load_dataset
from analysis.data.synth import SynthConfig, write_sample
from analysis.metrics.kpis import _SHARED
from analysis.reports.params import load_forecast_params

SMOKE = SynthConfig(n_teams=2, reps_per_team=3, months=26, scale=0.4)


def run_all(ds, options: F.ForecastOptions) -> tuple[float, list[F.ForecastResult]]:
    start = time.perf_counter()
    data = F.prepare(ds, ds.latest_complete_month)
    results = [F.forecast_scope(data, team, options) for team in [None, *ds["teams"]["team_id"]]]
    return time.perf_counter() - start, results


def mean_mase(results: list[F.ForecastResult]) -> dict[str, float]:
    frames = [r.metrics[r.metrics["h"].eq(0)].set_index("model")["mase"] for r in results]
    return pd.concat(frames, axis=1).mean(axis=1).round(3).to_dict()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-variants", action="store_true", help="skip the settings comparison")
    parser.add_argument("--smoke", action="store_true", help="tiny dataset, one run (tests)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    args = parser.parse_args(argv)
    config = SMOKE if args.smoke else SynthConfig()
    runs = 1 if args.smoke else args.runs
    base = load_forecast_params(None).options()
    with tempfile.TemporaryDirectory() as tmp:
        ds = load_dataset(write_sample(Path(tmp) / "d", config))
        times, results = [], []
        for i in range(runs):
            # cold: an empty on-disk cache and no KPI table kept in this process from a run before
            os.environ["AEM_CACHE_DIR"] = str(Path(tmp) / f"cache{i}")
            _SHARED.clear()
            seconds, results = run_all(ds, base)
            times.append(seconds)
        fits = sum(len(r.cutoffs) + 1 for r in results if r.prophet_status != "withheld")
        timing = {
            "dataset": f"{config.n_teams} teams x {config.reps_per_team} seats, "
            f"{config.months} months, scale {config.scale}",
            "scopes": len(results),
            "folds": base.folds,
            "horizon": base.horizon,
            "runs": runs,
            "seconds_median": statistics.median(times),
            "seconds_min": min(times),
            "seconds_max": max(times),
            "prophet_fits": fits,
            "prophet_fits_per_second": fits / statistics.median(times),
            "target_seconds": 60.0,
        }
        variants = {"default": mean_mase(results)}
        if not args.no_variants and not args.smoke:
            for name, options in {
                "working_days_regressor": replace(base, working_days_regressor=True),
                "yearly_fourier_order=0": replace(base, yearly_fourier_order=0),
                "yearly_fourier_order=6": replace(base, yearly_fourier_order=6),
                "trailing_months=3": replace(base, trailing_months=3),
                "calibration_months=6": replace(base, calibration_months=6),
            }.items():
                variants[name] = mean_mase(run_all(ds, options)[1])
    result = {
        "options": asdict(base),
        "time": timing,
        "mean_mase_by_variant": variants,
    }
    t = timing
    print(
        f"Forecast + {t['folds']}-fold backtest, company + {t['scopes'] - 1} teams ({t['dataset']}): "
        f"median {t['seconds_median']:.1f} s over {t['runs']} run(s) (min {t['seconds_min']:.1f}, "
        f"max {t['seconds_max']:.1f}); {t['prophet_fits_per_second']:.1f} Prophet fits+backtest "
        f"folds/s; target < {t['target_seconds']:.0f} s"
    )
    models = list(F.MODELS)
    print(f"{'mean MASE over scopes':<26}" + "".join(f"{m:>16}" for m in models))
    for name, row in variants.items():
        print(f"{name:<26}" + "".join(f"{row.get(m, float('nan')):>16.3f}" for m in models))
    targets = Targets(smoke=args.smoke)
    targets.check(
        "forecast + backtest, company and every team (cold)", t["seconds_median"], "<", 60, " s"
    )
    result["verdicts"] = targets.verdicts
    save("forecast", result, args.out)
    return targets.exit_code()


if __name__ == "__main__":
    raise SystemExit(main())
