"""How the models' forecasts become the one leadership reads, decided by the backtest.

1. `rank`: the statistical models (ETS, Theta, ARIMA, Prophet) ordered by their mean absolute
   error in the backtest rows already observable;
2. `combine`: the `combined` forecast is the mean of the TOP (two) best-ranked of them (their 80%
   bands averaged), and `calibrate` widens or narrows that band so that 80% of the combination's
   own earlier backtest errors would have fallen inside it;
3. `blend_weights` / `blend`: the combination and the bottom-up pipeline model, weighted by the
   inverse of their backtest mean squared error at each horizon (quantile-averaged bands);
4. `headline`: the blend, unless a simpler model (the same month last year, the trailing mean)
   clearly beat it in the backtest, its MASE more than MARGIN (20%) below the blend's: then that
   model, so a report never leads with a forecast its own backtest shows a baseline clearly beat.
   A baseline better by less than that is named with both errors (`close_baseline`), not
   followed: twelve cutoffs cannot tell a gap that small from luck.

Every step at a backtest cutoff uses only errors whose month had passed by that cutoff (nested),
so the scores of `combined` and `blend` are not flattered by choices made in hindsight.

Why the mean of the best two and the 20% margin: 42 rules (seven ways to combine, six for when a
baseline leads) were replayed on the 318 windows of the real monthly series of
bench/bench_forecast.py, and picking the rule on all the other families of series chose this one
for 26 of the 28 families (docs/forecasting.md, "Round 3"). Following a baseline whenever its
backtest error was lower at all made the forecasts worse than never following it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "STATISTICAL",
    "BASELINES",
    "COMPONENTS",
    "TOP",
    "MARGIN",
    "rank",
    "combine",
    "calibrate",
    "blend_weights",
    "blend",
    "headline",
    "close_baseline",
]

STATISTICAL = ("ets", "theta", "arima", "prophet")  # what the combination chooses from
BASELINES = ("seasonal_naive", "trailing_mean")  # what a headline must beat
COMPONENTS = ("combined", "pipeline")  # what the blend weighs
TOP = 2
MARGIN = 0.2  # a baseline leads only when its backtest MASE is more than this below the default's
_MIN_CALIBRATION_ROWS = 10  # fewer earlier errors than this: the members' band as it is
_COLUMNS = ["month", "h", "yhat", "yhat_lower", "yhat_upper"]


def rank(errors: pd.DataFrame, available: list[str]) -> list[str]:
    """`available` statistical models, best first by mean absolute error in `errors` (model,
    actual, yhat rows); models without errors there follow in STATISTICAL order.

    >>> e = pd.DataFrame({"model": ["ets", "ets", "theta"], "actual": [10, 10, 10],
    ...                   "yhat": [12, 8, 11]})
    >>> rank(e, ["ets", "theta", "arima"])
    ['theta', 'ets', 'arima']
    """
    e = errors[errors["model"].isin(available)].dropna(subset=["actual", "yhat"])
    mae = (e["actual"] - e["yhat"]).abs().groupby(e["model"]).mean()
    order = {m: i for i, m in enumerate(STATISTICAL)}
    scored = sorted(mae.index, key=lambda m: (mae[m], order.get(m, len(order))))
    return [*scored, *[m for m in STATISTICAL if m in available and m not in mae.index]]


def combine(forecasts: pd.DataFrame, members: list[str]) -> pd.DataFrame:
    """Per month, the mean of `members`' forecasts and of their band edges (a band is left empty
    when a member has none)."""
    f = forecasts[forecasts["model"].isin(members)].dropna(subset=["yhat"])
    if f.empty:
        return pd.DataFrame(columns=_COLUMNS)
    g = f.groupby(["month", "h"], sort=True)
    out = g["yhat"].mean().rename("yhat").to_frame()
    banded = g[["yhat_lower", "yhat_upper"]].apply(lambda b: b.notna().all(axis=None))
    out["yhat_lower"] = g["yhat_lower"].mean().where(banded)
    out["yhat_upper"] = g["yhat_upper"].mean().where(banded)
    return out.reset_index()[_COLUMNS]


def calibrate(
    frame: pd.DataFrame, errors: pd.DataFrame, applied: pd.Series | None = None
) -> tuple[pd.DataFrame, float]:
    """Scale `frame`'s band around its forecast by s, the 80th percentile of |error| / half-width
    over `errors` (the same model's earlier backtest rows, with actual and band): with s, 80% of
    those errors would have fallen inside. `applied` (aligned with `errors`): the scale each of
    those bands already had, so s is measured against the members' own half-widths, as `frame`
    has them. s = 1 with fewer than 10 such rows. Returns the frame and s."""
    keep = errors[["actual", "yhat", "yhat_lower", "yhat_upper"]].notna().all(axis=1)
    e = errors[keep]
    above = e["actual"] >= e["yhat"]
    half = np.where(above, e["yhat_upper"] - e["yhat"], e["yhat"] - e["yhat_lower"])
    if applied is not None:
        half = half / applied[keep].fillna(1.0).to_numpy(dtype="float64")
    ok = half > 0
    if ok.sum() < _MIN_CALIBRATION_ROWS:
        return frame, 1.0
    s = float(np.quantile((e["actual"] - e["yhat"]).abs().to_numpy()[ok] / half[ok], 0.8))
    out = frame.copy()
    out["yhat_lower"] = np.maximum(out["yhat"] - s * (out["yhat"] - out["yhat_lower"]), 0.0)
    out["yhat_upper"] = out["yhat"] + s * (out["yhat_upper"] - out["yhat"])
    return out, s


def blend_weights(errors: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Inverse-MSE weights of the COMPONENTS per horizon, from backtest `errors` (model, h,
    actual, yhat). A horizon with no error for some component uses all horizons pooled; with no
    errors at all the weights are equal. A component whose forecast is missing gets weight 0."""
    rows = []
    e = errors[errors["model"].isin(COMPONENTS)].dropna(subset=["actual", "yhat"])
    pooled = (e["actual"] - e["yhat"]).pow(2).groupby(e["model"]).mean()
    for h in range(1, horizon + 1):
        eh = e[e["h"].eq(h)]
        mse = (eh["actual"] - eh["yhat"]).pow(2).groupby(eh["model"]).mean()
        if not all(m in mse.index for m in COMPONENTS):
            mse = pooled
        if all(m in mse.index for m in COMPONENTS) and (mse > 0).all():
            inv = 1.0 / mse.reindex(list(COMPONENTS))
            w = inv / inv.sum()
        else:
            w = pd.Series(1.0 / len(COMPONENTS), index=list(COMPONENTS))
        rows += [{"h": h, "model": m, "weight": float(w[m])} for m in COMPONENTS]
    return pd.DataFrame(rows)


def blend(forecasts: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Weighted mean of the components' forecasts and of their band edges, per horizon; a band
    is left empty when a weighted component has none (no invented precision)."""
    comps = forecasts[forecasts["model"].isin(COMPONENTS)].dropna(subset=["yhat"])
    g = comps.merge(weights, on=["h", "model"])
    g = g[g["weight"] > 0]
    if g.empty:
        return pd.DataFrame(columns=_COLUMNS)
    by = g.groupby("h", sort=True)
    w = g["weight"] / by["weight"].transform("sum")
    parts = {c: (w * g[c]).groupby(g["h"], sort=True).sum() for c in _COLUMNS[2:]}
    banded = g[["yhat_lower", "yhat_upper"]].notna().all(axis=1).groupby(g["h"]).all()
    out = pd.DataFrame({"month": by["month"].first(), **parts})
    for c in ("yhat_lower", "yhat_upper"):
        out[c] = out[c].where(banded)
    out = out.rename_axis("h").reset_index()
    out["h"] = out["h"].astype(int)
    return out[_COLUMNS].astype({c: "float64" for c in _COLUMNS[2:]})


def _baseline_below(metrics: pd.DataFrame, default: str, margin: float) -> str | None:
    """The BASELINES model with the lowest all-horizon MASE in `metrics` among those whose MASE
    is more than `margin` below `default`'s (None when none is, or `default` has no score)."""
    o = metrics[metrics["h"].eq(0)].dropna(subset=["mase"]).set_index("model")["mase"]
    if default not in o.index:
        return None
    better = [m for m in BASELINES if m in o.index and o[m] < (1 - margin) * o[default]]
    return min(better, key=lambda m: o[m]) if better else None


def headline(metrics: pd.DataFrame, default: str = "blend", short: bool = False) -> str:
    """The model whose forecast leads: `default`, unless a BASELINES model's all-horizon MASE in
    `metrics` is more than MARGIN below `default`'s (then the better such baseline). With a short
    backtest (`short`) or no score for `default`, `default`.

    >>> m = pd.DataFrame({"model": ["blend", "seasonal_naive", "trailing_mean"], "h": [0, 0, 0],
    ...                   "mase": [1.0, 0.7, 0.9]})
    >>> headline(m), headline(m.assign(mase=[1.0, 0.85, 0.9]))
    ('seasonal_naive', 'blend')
    """
    return default if short else _baseline_below(metrics, default, MARGIN) or default


def close_baseline(
    metrics: pd.DataFrame, default: str = "blend", short: bool = False
) -> str | None:
    """The baseline that was more accurate than `default` in the backtest, but by too little
    (MARGIN) to lead; None when `default` beat every baseline, a baseline leads instead, or the
    backtest was too short to tell (`short`). A report names it with both errors.

    >>> m = pd.DataFrame({"model": ["blend", "seasonal_naive", "trailing_mean"], "h": [0, 0, 0],
    ...                   "mase": [1.0, 0.85, 0.9]})
    >>> close_baseline(m), close_baseline(m.assign(mase=[1.0, 0.7, 0.9]))
    ('seasonal_naive', None)
    """
    if short or headline(metrics, default) != default:
        return None
    return _baseline_below(metrics, default, 0.0)
