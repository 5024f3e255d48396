"""One scope's forecast (a team, or the company) with its backtest.

`forecast_scope(data, team, options)` forecasts the scope with every model of
`analysis.forecast.models` and scores them on one rolling-origin backtest: the same cutoffs for
every model, each model seeing only the history up to its cutoff. The blend at a cutoff uses
only errors already observable at that cutoff, so its own score is not flattered by hindsight.
Month M (`data.month`) is the last month of history: nothing after its end is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.forecast.inputs import ForecastData, scope_frames
from analysis.forecast.models import (
    ForecastOptions,
    PipelineArrays,
    accuracy,
    blend,
    blend_weights,
    pipeline_at,
    prophet_forecast,
    seasonal_naive,
    trailing_mean,
)
from analysis.forecast.outlook import quota_outlook

__all__ = ["ForecastResult", "forecast_scope"]


@dataclass
class ForecastResult:
    """One scope's forecast. Frames are tidy; `notes` says what was withheld and why."""

    scope: str
    month: pd.Period
    horizon: int
    history: pd.DataFrame  # month, revenue, quota
    forecast: pd.DataFrame  # model, month, h, yhat, yhat_lower, yhat_upper
    backtest: pd.DataFrame  # model, cutoff, h, month, actual, yhat, yhat_lower, yhat_upper
    metrics: pd.DataFrame  # model, h (0 = all horizons), mape, smape, mase, coverage_80, n
    weights: pd.DataFrame  # h, model, weight (final blend)
    quota: dict
    components: pd.DataFrame | None  # month, trend, yearly (Prophet on the full history)
    prophet_status: str  # ok, low_confidence, withheld
    notes: list[str] = field(default_factory=list)

    @property
    def cutoffs(self) -> list[str]:
        return sorted({str(c) for c in self.backtest["cutoff"]})

    def best_model(self) -> str | None:
        """The model with the lowest all-horizon MASE in the backtest (None without a backtest)."""
        overall = self.metrics[self.metrics["h"].eq(0)].dropna(subset=["mase"])
        return None if overall.empty else str(overall.sort_values("mase").iloc[0]["model"])


def _seasonal_scale(y: pd.Series) -> float:
    v = y.to_numpy(dtype="float64")
    lag = 12 if len(v) > 12 else 1
    return float(np.mean(np.abs(v[lag:] - v[:-lag]))) if len(v) > lag else np.nan


def _models_at(
    y: pd.Series,
    cutoff: pd.Period,
    pipe: PipelineArrays,
    options: ForecastOptions,
    horizon: int,
    prophet_ok: bool,
    model_out=None,
):
    """Every model's forecast from history up to `cutoff`; (frames by model, Prophet samples)."""
    train = y[y.index <= cutoff]
    out: dict[str, pd.DataFrame] = {}
    samples = None
    if prophet_ok and len(train) >= options.min_months_prophet:
        out["prophet"], samples = prophet_forecast(train, horizon, options, model_out=model_out)
    if len(train) >= 12:
        out["seasonal_naive"] = seasonal_naive(train, horizon)
    if len(train) >= options.trailing_months:
        out["trailing_mean"] = trailing_mean(train, horizon, options.trailing_months)
    out["pipeline"] = pipeline_at(pipe, train, cutoff.ordinal, horizon, options.calibration_months)
    return out, samples


def _stack(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return pd.concat([f.assign(model=m) for m, f in frames.items()], ignore_index=True)


def forecast_scope(
    data: ForecastData,
    team: str | None = None,
    options: ForecastOptions | None = None,
) -> ForecastResult:
    """Forecast one team's (or the company's) won revenue after `data.month`, with its backtest."""
    options = options or ForecastOptions()
    scope_id, rev, pipe, won = scope_frames(data, team)
    month, horizon = data.month, options.horizon
    history = rev[rev["month"] <= month][["month", "revenue", "quota"]].reset_index(drop=True)
    nonzero = history["revenue"].fillna(0).to_numpy() > 0
    notes: list[str] = []
    empty = ForecastResult(
        scope_id,
        month,
        horizon,
        history,
        pd.DataFrame(columns=["model", "month", "h", "yhat", "yhat_lower", "yhat_upper"]),
        pd.DataFrame(
            columns=["model", "cutoff", "h", "month", "actual", "yhat", "yhat_lower", "yhat_upper"]
        ),
        accuracy(pd.DataFrame(columns=["model", "h", "actual", "yhat"]), np.nan),
        pd.DataFrame(columns=["h", "model", "weight"]),
        {},
        None,
        "withheld",
        notes,
    )
    if not nonzero.any():
        notes.append("no_revenue")
        return empty
    history = history.iloc[int(np.argmax(nonzero)) :].reset_index(drop=True)
    y = pd.Series(
        history["revenue"].fillna(0).to_numpy(dtype="float64"),
        index=pd.PeriodIndex(history["month"], freq="M"),
    )
    n = len(y)
    if n < options.min_months_prophet:
        status = "withheld"
        notes.append("prophet_withheld")
    elif n < options.min_months:
        status = "low_confidence"
        notes.append("prophet_low_confidence")
    else:
        status = "ok"
    prophet_ok = status != "withheld"
    arrays = PipelineArrays.build(pipe, won)

    # backtest: the same cutoffs for every model, each cut at its cutoff
    first_cutoff = max(month - options.folds, y.index[0] + (options.min_train_months - 1))
    cutoffs = pd.period_range(first_cutoff, month - 1, freq="M") if first_cutoff < month else []
    if len(cutoffs) < 3:
        notes.append("backtest_short")
    parts = []
    for cutoff in cutoffs:
        frames, _ = _models_at(y, cutoff, arrays, options, horizon, prophet_ok)
        f = _stack(frames)
        f = f[f["month"] <= month].assign(cutoff=cutoff)
        parts.append(f)
    bt = pd.concat(parts, ignore_index=True) if parts else empty.backtest.drop(columns="actual")
    bt["actual"] = bt["month"].map(dict(zip(y.index, y.to_numpy(), strict=True)))
    # the blend at each cutoff, weighted only by errors observable at that cutoff
    blends = []
    for cutoff in cutoffs:
        seen = bt[bt["month"] <= cutoff]
        at = bt[bt["cutoff"].eq(cutoff)]
        b = blend(at, blend_weights(seen, horizon))
        blends.append(b.assign(model="blend", cutoff=cutoff))
    if blends:
        bt = pd.concat([bt, *blends], ignore_index=True)
        bt["actual"] = bt["month"].map(dict(zip(y.index, y.to_numpy(), strict=True)))
    cols = ["model", "cutoff", "h", "month", "actual", "yhat", "yhat_lower", "yhat_upper"]
    bt = bt[cols].reset_index(drop=True)
    scale = _seasonal_scale(y[y.index <= cutoffs[0]]) if len(cutoffs) else np.nan
    metrics = accuracy(bt, scale) if len(bt) else empty.metrics

    # the forecast from all history
    fitted: list = []
    frames, samples = _models_at(y, month, arrays, options, horizon, prophet_ok, fitted)
    weights = blend_weights(bt, horizon)
    if "prophet" not in frames:
        weights["weight"] = np.where(weights["model"].eq("pipeline"), 1.0, 0.0)
    fc = _stack(frames)
    fc = pd.concat([fc, blend(fc, weights).assign(model="blend")], ignore_index=True)
    fc = fc[["model", "month", "h", "yhat", "yhat_lower", "yhat_upper"]]

    components = None
    if fitted:
        model, pred = fitted
        components = pd.DataFrame(
            {
                "month": y.index,
                "trend": pred["trend"].to_numpy(),
                "yearly": pred["yearly"].to_numpy() if "yearly" in pred else np.nan,
            }
        )
    quota = quota_outlook(rev, month, fc, samples)
    return ForecastResult(
        scope_id,
        month,
        horizon,
        history,
        fc.reset_index(drop=True),
        bt,
        metrics.reset_index(drop=True),
        weights,
        quota,
        components,
        status,
        notes,
    )
