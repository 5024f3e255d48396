"""One scope's forecast (a team, or the company) with its backtest.

`forecast_scope(data, team, options)` forecasts the scope with every model of
`analysis.forecast.models` and `analysis.forecast.statistical` and scores them on one
rolling-origin backtest: the same cutoffs for every model, each model seeing only the history up
to its cutoff. The combination, its calibrated band and the blend at a cutoff use only errors
already observable at that cutoff (`analysis.forecast.combine`), so their own scores are not
flattered by hindsight. Month M (`data.month`) is the last month of history: nothing after its
end is read.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from analysis.forecast import combine as C
from analysis.forecast.inputs import ForecastData, concat_rows, scope_frames
from analysis.forecast.models import (
    ForecastOptions,
    PipelineArrays,
    accuracy,
    pipeline_at,
    prophet_forecast,
    seasonal_naive,
    trailing_mean,
)
from analysis.forecast.outlook import quota_outlook
from analysis.forecast.statistical import arima_forecast, ets_forecast, theta_forecast

__all__ = ["ForecastResult", "SeriesForecast", "forecast_scope", "forecast_series"]

# what a model that cannot be fitted to a history raises (a degenerate series, an optimiser that
# fails): the model is left out at that cutoff and its backtest `n` shows it
_FIT_ERRORS = (ValueError, ArithmeticError, np.linalg.LinAlgError, RuntimeError)


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
    prophet_status: str  # ok, low_confidence, withheld (the statistical models' status)
    notes: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)  # the combination's models, best first
    band_scale: float = 1.0  # how the combination's band was scaled to cover 80% (`calibrate`)
    headline: str = "blend"  # the model whose forecast leads (`combine.headline`)

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


def _fit(model, *args, **kwargs):
    """A model's forecast frame, or None where it cannot be fitted to this history."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model(*args, **kwargs)
    except _FIT_ERRORS:
        return None


def _models_at(
    y: pd.Series,
    cutoff: pd.Period,
    pipe: PipelineArrays | None,
    options: ForecastOptions,
    horizon: int,
    statistical_ok: bool,
    model_out=None,
    paths: bool = False,
):
    """Every model's forecast from history up to `cutoff` (the pipeline model only with `pipe`);
    (frames by model, Prophet's predictive samples where `paths`: the final forecast's quota
    outlook needs them, a backtest cutoff does not)."""
    train = y[y.index <= cutoff]
    out: dict[str, pd.DataFrame | None] = {}
    samples = None
    if statistical_ok and len(train) >= options.min_months_prophet:
        out["ets"] = _fit(ets_forecast, train, horizon, options.seed)
        out["theta"] = _fit(theta_forecast, train, horizon)
        out["arima"] = _fit(arima_forecast, train, horizon)
        prophet = _fit(
            prophet_forecast, train, horizon, options, model_out=model_out, samples=paths
        )
        if prophet is not None:
            out["prophet"], samples = prophet
    if len(train) >= 12:
        out["seasonal_naive"] = seasonal_naive(train, horizon)
    if len(train) >= options.trailing_months:
        out["trailing_mean"] = trailing_mean(train, horizon, options.trailing_months)
    if pipe is not None:
        out["pipeline"] = pipeline_at(
            pipe, train, cutoff.ordinal, horizon, options.calibration_months
        )
    return {m: f for m, f in out.items() if f is not None}, samples


def _stack(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return concat_rows([f.assign(model=m) for m, f in frames.items()])


def _combined_at(
    at: pd.DataFrame, seen: pd.DataFrame, scales: dict
) -> tuple[pd.DataFrame, list[str], float]:
    """The combination of the forecasts `at` one cutoff, from the errors `seen` by then: the TOP
    statistical models ranked on `seen`, their mean, its band calibrated on `seen`'s own
    combination rows (whose bands were scaled by `scales[their cutoff]`). (frame, members,
    band scale)"""
    available = [m for m in C.STATISTICAL if m in set(at["model"])]
    members = C.rank(seen, available)[: C.TOP]
    frame = C.combine(at, members)
    own = seen[seen["model"].eq("combined")]
    frame, scale = C.calibrate(frame, own, own["cutoff"].map(scales))
    return frame, members, scale


def _with_combined_and_blend(
    frames: pd.DataFrame, seen: pd.DataFrame, horizon: int, statistical_ok: bool, scales: dict
) -> tuple[pd.DataFrame, list[str], float, pd.DataFrame]:
    """`frames` (one cutoff's forecasts) with the combination and the blend added, each decided
    on the errors `seen` by then (no blend without a pipeline model). (frames, members, band
    scale, blend weights)"""
    combined, members, scale = _combined_at(frames, seen, scales)
    frames = concat_rows([frames, combined.assign(model="combined")])
    weights = C.blend_weights(seen, horizon)
    if "pipeline" not in set(frames["model"]):
        return frames, members, scale, weights.iloc[:0]
    if combined.empty or not statistical_ok:
        weights["weight"] = np.where(weights["model"].eq("pipeline"), 1.0, 0.0)
    frames = concat_rows([frames, C.blend(frames, weights).assign(model="blend")])
    return frames, members, scale, weights


def _no_metrics() -> pd.DataFrame:
    return accuracy(pd.DataFrame(columns=["model", "h", "actual", "yhat"]), np.nan)


def _empty(scope_id, month, horizon, history, notes) -> ForecastResult:
    return ForecastResult(
        scope_id,
        month,
        horizon,
        history,
        pd.DataFrame(columns=["model", "month", "h", "yhat", "yhat_lower", "yhat_upper"]),
        pd.DataFrame(
            columns=["model", "cutoff", "h", "month", "actual", "yhat", "yhat_lower", "yhat_upper"]
        ),
        _no_metrics(),
        pd.DataFrame(columns=["h", "model", "weight"]),
        {},
        None,
        "withheld",
        notes,
    )


def _backtest(y, cutoffs, month, arrays, options, statistical_ok=True) -> tuple[pd.DataFrame, dict]:
    """Every model's forecasts at every cutoff, in order, the combination and the blend at each
    decided on the errors observable then; with the actuals. Also the combination's band scale
    at each cutoff."""
    actual = dict(zip(y.index, y.to_numpy(), strict=True))
    cols = ["model", "cutoff", "h", "month", "actual", "yhat", "yhat_lower", "yhat_upper"]
    bt = pd.DataFrame(columns=cols)
    scales: dict = {}
    for cutoff in cutoffs:
        frames, _ = _models_at(y, cutoff, arrays, options, options.horizon, statistical_ok)
        seen = bt[bt["month"] <= cutoff]
        f, _, scales[cutoff], _ = _with_combined_and_blend(
            _stack(frames), seen, options.horizon, statistical_ok, scales
        )
        f = f[f["month"] <= month].assign(cutoff=cutoff)
        f["actual"] = f["month"].map(actual)
        bt = pd.concat([bt if len(bt) else None, f[cols]], ignore_index=True)
    return bt.reset_index(drop=True), scales


class _Run(NamedTuple):
    """The backtest and the final forecast of one series (`_run`)."""

    cutoffs: pd.PeriodIndex | list
    backtest: pd.DataFrame
    metrics: pd.DataFrame
    forecast: pd.DataFrame  # every model, the combination and (with a pipeline) the blend
    members: list[str]
    band_scale: float
    weights: pd.DataFrame
    samples: np.ndarray | None  # Prophet's predictive samples of the final forecast


def _run(y, month, arrays, options, statistical_ok=True, model_out=None) -> _Run:
    """Backtest every model on the last `options.folds` month-ends before `month` (each with at
    least `min_train_months` of history), then forecast from all history, combined and blended
    on every fold's errors."""
    first = max(month - options.folds, y.index[0] + (options.min_train_months - 1))
    cutoffs = pd.period_range(first, month - 1, freq="M") if first < month else []
    bt, scales = _backtest(y, cutoffs, month, arrays, options, statistical_ok)
    scale = _seasonal_scale(y[y.index <= cutoffs[0]]) if len(cutoffs) else np.nan
    metrics = accuracy(bt, scale) if len(bt) else _no_metrics()
    frames, samples = _models_at(
        y, month, arrays, options, options.horizon, statistical_ok, model_out, paths=True
    )
    fc, members, band_scale, weights = _with_combined_and_blend(
        _stack(frames), bt, options.horizon, statistical_ok, scales
    )
    fc = fc[["model", "month", "h", "yhat", "yhat_lower", "yhat_upper"]].reset_index(drop=True)
    return _Run(
        cutoffs, bt, metrics.reset_index(drop=True), fc, members, band_scale, weights, samples
    )


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
    if not nonzero.any():
        notes.append("no_revenue")
        return _empty(scope_id, month, horizon, history, notes)
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
    statistical_ok = status != "withheld"

    fitted: list = []
    r = _run(y, month, PipelineArrays.build(pipe, won), options, statistical_ok, fitted)
    if len(r.cutoffs) < 3:
        notes.append("backtest_short")
    lead = C.headline(r.metrics, "blend", short="backtest_short" in notes)
    return ForecastResult(
        scope_id,
        month,
        horizon,
        history,
        r.forecast,
        r.backtest,
        r.metrics,
        r.weights,
        quota_outlook(rev, month, r.forecast, r.samples, lead),
        fitted[1] if fitted else None,
        status,
        notes,
        r.members,
        r.band_scale,
        lead,
    )


@dataclass
class SeriesForecast:
    """`forecast_series`'s result: the frames of `ForecastResult` without the pipeline model."""

    forecast: pd.DataFrame  # model, month, h, yhat, yhat_lower, yhat_upper
    backtest: pd.DataFrame  # model, cutoff, h, month, actual, yhat, yhat_lower, yhat_upper
    metrics: pd.DataFrame  # model, h (0 = all horizons), mape, smape, mase, coverage_80, n
    members: list[str]
    band_scale: float
    headline: str  # "combined", or a baseline that beat it in the backtest

    def default(self) -> pd.DataFrame:
        """The forecast that leads: month, h, yhat, yhat_lower, yhat_upper."""
        f = self.forecast[self.forecast["model"].eq(self.headline)]
        return f.drop(columns="model").reset_index(drop=True)


def forecast_series(y: pd.Series, options: ForecastOptions | None = None) -> SeriesForecast:
    """The product's default forecast of any monthly series `y` (indexed by monthly Periods),
    `options.horizon` months ahead: every statistical model and baseline backtested on the last
    `options.folds` month-ends, the mean of the best two, its band calibrated, and a baseline
    instead where it clearly beat that in the backtest (`combine.headline`). The same code as a
    team's forecast, without the pipeline model (and so without the blend).
    bench/bench_forecast.py scores it on real series.

    >>> y = pd.Series([100.0 + 3 * k for k in range(30)],
    ...               index=pd.period_range("2024-01", periods=30, freq="M"))
    >>> r = forecast_series(y, ForecastOptions(horizon=2, folds=3, samples=100))
    >>> r.headline, r.default()["yhat"].round().tolist()
    ('combined', [190.0, 193.0])
    """
    r = _run(y.astype("float64"), y.index[-1], None, options or ForecastOptions())
    lead = C.headline(r.metrics, "combined", short=len(r.cutoffs) < 3)
    return SeriesForecast(r.forecast, r.backtest, r.metrics, r.members, r.band_scale, lead)
