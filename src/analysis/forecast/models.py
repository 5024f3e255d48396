"""Forecast models and their scoring: each takes a monthly revenue history (a Series indexed by
monthly Periods) cut at a cutoff and returns one frame per forecast (month, h, yhat, yhat_lower,
yhat_upper), so the backtest in `forecast` runs them all on the same folds.

- prophet: Prophet on monthly won revenue, yearly seasonality with a low Fourier order (36
  monthly points cannot carry Prophet's default of 10), optionally the number of Thai working
  days in the month as a regressor (Prophet's country holidays, TH: at monthly granularity this
  is how public holidays such as Songkran can matter);
- seasonal_naive: the same month a year earlier;
- trailing_mean: the mean of the last `trailing_months` months;
- pipeline: bottom-up from the open pipeline at the cutoff. Each open deal's amount times the
  share of pipeline value that, historically (the 12 origins before the cutoff), was won exactly
  h months later, by stage and by how far the expected close date was; plus the revenue that
  historically came from deals not yet created at the origin;

ETS, Theta and ARIMA are in `statistical`; the combination of the statistical models and its
blend with the pipeline model are in `combine`.

Intervals are 80%: Prophet's own; for the baselines and the pipeline model, the 10th and 90th
percentiles of their in-sample errors.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.data.contract import OPEN_STAGES

__all__ = [
    "MODELS",
    "INTERVAL",
    "DUE_BUCKETS",
    "ForecastOptions",
    "PipelineArrays",
    "seasonal_naive",
    "trailing_mean",
    "prophet_forecast",
    "pipeline_forecast",
    "pipeline_at",
    "accuracy",
    "thai_working_days",
]

# every model a forecast shows, in the order tables list them (`statistical` holds ets, theta and
# arima; `combine` makes combined and blend)
MODELS = (
    "ets",
    "theta",
    "arima",
    "prophet",
    "seasonal_naive",
    "trailing_mean",
    "pipeline",
    "combined",
    "blend",
)
INTERVAL = 0.8
_Q = ((1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2)
DUE_BUCKETS = 4  # expected close: overdue/this month, +1, +2, +3, +4 or later
_MIN_CELL_DEALS = 5  # a stage x due cell with fewer deals backs off to the stage's pooled rate


@dataclass(frozen=True)
class ForecastOptions:
    """How forecasts are made (params/_defaults.yaml `forecast:`; see `params.ForecastParams`)."""

    horizon: int = 6
    folds: int = 12  # rolling-origin cutoffs: M-folds .. M-1
    trailing_months: int = 6  # the stronger of 3 and 6 in the sample backtest (bench)
    yearly_fourier_order: int = 5  # chosen on real series (bench_forecast.py, docs/forecasting.md)
    working_days_regressor: bool = False
    changepoint_prior_scale: float = 0.01
    prophet_log_scale: bool = True
    min_months: int = 24  # below: Prophet is marked low-confidence (no yearly seasonality)
    min_months_prophet: int = 12  # below: ETS, Theta, ARIMA and Prophet are withheld
    min_train_months: int = 12  # a backtest fold needs this much history before its cutoff
    calibration_months: int = 12  # origins the pipeline model learns its rates from
    samples: int = 1000  # Prophet predictive samples (intervals, quota probability)
    seed: int = 0


# --- models -------------------------------------------------------------------------------------


def _frame(months: pd.PeriodIndex, yhat, lower, upper) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": months,
            "h": np.arange(1, len(months) + 1),
            "yhat": np.asarray(yhat, dtype="float64"),
            "yhat_lower": np.asarray(lower, dtype="float64"),
            "yhat_upper": np.asarray(upper, dtype="float64"),
        }
    )


def _future(y: pd.Series, horizon: int) -> pd.PeriodIndex:
    return pd.period_range(y.index[-1] + 1, periods=horizon, freq="M")


def _residual_band(point: np.ndarray, residuals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """80% band from the 10th/90th percentiles of in-sample errors; NaN with fewer than 5."""
    r = residuals[np.isfinite(residuals)]
    if len(r) < 5:
        return np.full(len(point), np.nan), np.full(len(point), np.nan)
    lo, hi = np.quantile(r, _Q)
    return np.maximum(point + lo, 0.0), point + hi


def seasonal_naive(y: pd.Series, horizon: int) -> pd.DataFrame:
    """The value of the same month a year earlier (needs 12 months). `y`: revenue by month.

    >>> y = pd.Series(range(1, 25), index=pd.period_range("2024-01", periods=24, freq="M"))
    >>> seasonal_naive(y, 2)["yhat"].tolist()
    [13.0, 14.0]
    """
    if len(y) < 12:
        raise ValueError(f"seasonal naive needs 12 months of history, got {len(y)}")
    values = y.to_numpy(dtype="float64")
    months = _future(y, horizon)
    point = np.array([values[len(values) - 12 + (k % 12)] for k in range(horizon)])
    lower, upper = _residual_band(point, values[12:] - values[:-12])
    return _frame(months, point, lower, upper)


def trailing_mean(y: pd.Series, horizon: int, window: int = 3) -> pd.DataFrame:
    """The mean of the last `window` months, flat over the horizon.

    >>> y = pd.Series([3.0, 6.0, 9.0], index=pd.period_range("2026-01", periods=3, freq="M"))
    >>> trailing_mean(y, 1, window=2)["yhat"].tolist()
    [7.5]
    """
    values = y.to_numpy(dtype="float64")
    if len(values) < window:
        raise ValueError(f"trailing mean needs {window} months of history, got {len(values)}")
    point = np.full(horizon, values[-window:].mean())
    means = pd.Series(values).rolling(window).mean().shift(1).to_numpy()
    lower, upper = _residual_band(point, values - means)
    return _frame(_future(y, horizon), point, lower, upper)


@lru_cache(maxsize=64)
def _working_days(first: str, last: str) -> tuple[float, ...]:
    import holidays

    months = pd.period_range(first, last, freq="M")
    years = range(months[0].year, months[-1].year + 1)
    off = holidays.country_holidays("TH", years=years)
    days = pd.date_range(months[0].start_time, months[-1].end_time.normalize(), freq="D")
    working = (days.day_of_week < 5) & ~days.isin(pd.DatetimeIndex(list(off.keys())))
    counts = pd.Series(working, index=days.to_period("M")).groupby(level=0).sum()
    return tuple(float(v) for v in counts.reindex(months).to_numpy())


def thai_working_days(months: pd.PeriodIndex) -> np.ndarray:
    """Monday-Friday days in each month that are not Thai public holidays (`holidays`, TH)."""
    return np.array(_working_days(str(months.min()), str(months.max())))[
        (months.asi8 - months.min().ordinal)
    ]


def _quiet() -> None:
    for name in ("cmdstanpy", "prophet", "prophet.plot"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def prophet_forecast(
    y: pd.Series,
    horizon: int,
    options: ForecastOptions = ForecastOptions(),
    *,
    model_out=None,
    samples: bool = True,
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Fit Prophet on monthly revenue `y` and forecast `horizon` months.

    Configured for monthly business revenue: on the log scale when every month is positive
    (`options.prophet_log_scale`; seasonality then acts in proportion to the level, and a falling
    trend bends towards zero instead of crossing it and being clipped to a flat zero), a stiff
    trend (`changepoint_prior_scale`) and yearly seasonality with `yearly_fourier_order` terms
    from `options.min_months` of history. A series with a zero month is modelled as it is and
    floored at zero. Returns the forecast frame and the predictive samples (horizon x
    options.samples), which the quota outlook sums (None with `samples=False`: drawn after the
    forecast, so leaving them out changes nothing else). `model_out`, a list, receives the fitted
    model and its components over the history (month, trend, yearly) in revenue units.
    """
    _quiet()  # before the import: prophet.plot logs an error when plotly is missing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import cmdstanpy
        from prophet import Prophet
    cmdstanpy.disable_logging()  # its INFO lines would flood notebooks and reports

    yearly = options.yearly_fourier_order if len(y) >= options.min_months else 0
    yearly = yearly if yearly > 0 else False
    model = Prophet(
        growth="linear",
        yearly_seasonality=yearly,
        weekly_seasonality=False,
        daily_seasonality=False,
        interval_width=INTERVAL,
        uncertainty_samples=options.samples,
        changepoint_prior_scale=options.changepoint_prior_scale,
    )
    values = y.to_numpy(dtype="float64")
    log = options.prophet_log_scale and bool((values > 0).all())
    back = np.exp if log else (lambda v: np.asarray(v, dtype="float64"))
    train = pd.DataFrame({"ds": y.index.to_timestamp(), "y": np.log(values) if log else values})
    months = _future(y, horizon)
    future = pd.DataFrame({"ds": months.to_timestamp()})
    if options.working_days_regressor:
        model.add_regressor("working_days")
        train["working_days"] = thai_working_days(y.index)
        future["working_days"] = thai_working_days(months)
    state = np.random.get_state()  # noqa: NPY002 (Prophet draws from the global generator)
    np.random.seed(options.seed)  # noqa: NPY002 (reproducible intervals and samples)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(train)
            pred = model.predict(future)
            paths = back(model.predictive_samples(future)["yhat"]) if samples else None
            if model_out is not None:
                model_out += [model, _components(y.index, model.predict(train), back)]
    finally:
        np.random.set_state(state)  # noqa: NPY002
    frame = _frame(
        months,
        np.maximum(back(pred["yhat"]), 0),
        np.maximum(back(pred["yhat_lower"]), 0),
        np.maximum(back(pred["yhat_upper"]), 0),
    )
    return frame, None if paths is None else np.clip(paths, 0, None)


def _components(months: pd.PeriodIndex, pred: pd.DataFrame, back) -> pd.DataFrame:
    """Prophet's trend and yearly seasonality over the history, in revenue: on the log scale the
    trend is exp(trend) and the season what it adds to that month at that level."""
    trend = back(pred["trend"].to_numpy())
    yearly = (
        back(pred["trend"].to_numpy() + pred["yearly"].to_numpy()) - trend
        if "yearly" in pred
        else np.full(len(trend), np.nan)
    )
    return pd.DataFrame({"month": months, "trend": trend, "yearly": yearly})


_STAGE_CODES = {s: i for i, s in enumerate((*OPEN_STAGES, "open"))}
_CELLS = len(_STAGE_CODES) * (DUE_BUCKETS + 1)


@dataclass(frozen=True)
class PipelineArrays:
    """One scope's pipeline as arrays: a row per (deals, origin month) open then, `n` deals each."""

    origin: np.ndarray
    amount: np.ndarray
    n: np.ndarray  # how many deals the row sums
    stage: np.ndarray  # stage code
    cell: np.ndarray  # stage code x due bucket
    won_month: np.ndarray  # ordinal of the month it was won, -1 if not won (yet)
    won_amount: np.ndarray
    new_created: np.ndarray  # won deals: month created
    new_closed: np.ndarray  # won deals: month won
    new_amount: np.ndarray

    @classmethod
    def build(cls, pipe: pd.DataFrame, won: pd.DataFrame) -> PipelineArrays:
        """From `inputs.ForecastData.pipeline`/`.won` rows of one scope (sums of deals alike:
        columns n, won and won_amount), or from a row per deal: opportunity_id, origin, stage,
        due, amount, and `won` a row per won deal (opportunity_id, created, closed, amount)."""
        stage = pipe["stage"].map(_STAGE_CODES).fillna(_STAGE_CODES["open"]).to_numpy("int64")
        if "n" in pipe:
            n = pipe["n"].to_numpy("int64")
            won_month = pipe["won"].to_numpy("int64")
            won_amount = pipe["won_amount"].to_numpy("float64")
        else:
            n = np.ones(len(pipe), dtype="int64")
            by_id = won.set_index("opportunity_id")
            won_month = pipe["opportunity_id"].map(by_id["closed"]).fillna(-1).to_numpy("int64")
            won_amount = pipe["opportunity_id"].map(by_id["amount"]).fillna(0.0).to_numpy("float64")
        return cls(
            pipe["origin"].to_numpy("int64"),
            pipe["amount"].to_numpy("float64"),
            n,
            stage,
            stage * (DUE_BUCKETS + 1) + pipe["due"].to_numpy("int64"),
            won_month,
            won_amount,
            won["created"].to_numpy("int64"),
            won["closed"].to_numpy("int64"),
            won["amount"].to_numpy("float64"),
        )


def _pipeline_rates(p: PipelineArrays, origins: np.ndarray, h: int) -> tuple[np.ndarray, float]:
    """Per cell, the share of open value at an origin that was won exactly h months later (a cell
    with fewer than _MIN_CELL_DEALS deals backs off to its stage, then to all pipeline); and the
    mean revenue won in o + h by deals created after o."""
    m = np.isin(p.origin, origins)
    won = np.where(p.won_month[m] == p.origin[m] + h, p.won_amount[m], 0.0)
    amount, cell, stage, n = p.amount[m], p.cell[m], p.stage[m], p.n[m]
    n_stage = len(_STAGE_CODES)

    def ratio(won_sum, open_sum):
        won_sum, open_sum = np.asarray(won_sum, float), np.asarray(open_sum, float)
        return np.divide(won_sum, open_sum, out=np.zeros_like(won_sum), where=open_sum > 0)

    overall = ratio(np.array([won.sum()]), np.array([amount.sum()]))[0]
    s_n = np.bincount(stage, n, minlength=n_stage)
    s_rate = ratio(
        np.bincount(stage, won, minlength=n_stage), np.bincount(stage, amount, minlength=n_stage)
    )
    s_rate = np.where(s_n >= _MIN_CELL_DEALS, s_rate, overall)
    c_n = np.bincount(cell, n, minlength=_CELLS)
    c_rate = ratio(np.bincount(cell, won, minlength=_CELLS), np.bincount(cell, amount, _CELLS))
    rates = np.where(c_n >= _MIN_CELL_DEALS, c_rate, np.repeat(s_rate, DUE_BUCKETS + 1))
    new = [p.new_amount[(p.new_created > o) & (p.new_closed == o + h)].sum() for o in origins]
    return rates, float(np.mean(new)) if new else 0.0


def pipeline_at(p: PipelineArrays, actual: pd.Series, cutoff: int, horizon: int, months_back: int):
    point, lower, upper = [], [], []
    act = pd.Series(actual.to_numpy(dtype="float64"), index=actual.index.asi8)
    now = p.origin == cutoff
    first = act.index.min() if len(act) else cutoff
    for h in range(1, horizon + 1):
        origins = np.arange(max(cutoff - h - months_back + 1, first), cutoff - h + 1)
        if len(origins) == 0:
            point.append(np.nan), lower.append(np.nan), upper.append(np.nan)
            continue
        rates, new = _pipeline_rates(p, origins, h)
        yhat = float((p.amount[now] * rates[p.cell[now]]).sum() + new)
        m = np.isin(p.origin, origins)
        fitted = (
            np.bincount(
                p.origin[m] - origins[0], p.amount[m] * rates[p.cell[m]], minlength=len(origins)
            )
            + new
        )
        lo, hi = _residual_band(np.array([yhat]), act.reindex(origins + h).to_numpy() - fitted)
        point.append(yhat), lower.append(lo[0]), upper.append(hi[0])
    months = pd.PeriodIndex.from_ordinals(np.arange(cutoff + 1, cutoff + 1 + horizon), freq="M")
    return _frame(months, point, lower, upper)


def pipeline_forecast(
    pipe: pd.DataFrame,
    won: pd.DataFrame,
    actual: pd.Series,
    cutoff: pd.Period,
    horizon: int,
    calibration_months: int = 12,
) -> pd.DataFrame:
    """Bottom-up forecast from the pipeline open at the end of `cutoff` (see the module doc).

    `pipe` and `won` are `ForecastData.pipeline`/`.won` rows of one scope; `actual` its monthly
    revenue (for the in-sample error band). Only origins whose h-month outcome is known by the
    end of `cutoff` calibrate the rates, so nothing after the cutoff is read.
    """
    return pipeline_at(
        PipelineArrays.build(pipe, won), actual, cutoff.ordinal, horizon, calibration_months
    )


# --- scoring -----------------------------------------------------------------------------------


def accuracy(errors: pd.DataFrame, scale: float) -> pd.DataFrame:
    """MAPE, sMAPE, MASE and 80% coverage per model and horizon (h = 0: all horizons).

    `errors`: model, h, actual, yhat, yhat_lower, yhat_upper. MAPE skips months with zero actual
    revenue (undefined there); sMAPE counts a zero forecast of a zero month as 0; MASE divides the
    mean absolute error by `scale`, the in-sample mean absolute error of the seasonal naive
    forecast (Hyndman & Koehler 2006). Coverage uses rows with an interval.
    """
    columns = ["model", "h", "mape", "smape", "mase", "coverage_80", "n"]
    e = errors.dropna(subset=["actual", "yhat"])
    if e.empty:
        return pd.DataFrame(columns=columns)
    abs_err = (e["actual"] - e["yhat"]).abs()
    denom = e["actual"].abs() + e["yhat"].abs()
    frame = e.assign(
        ape=(abs_err / e["actual"].abs()).where(e["actual"] != 0),
        sape=np.where(denom > 0, 2 * abs_err / denom.where(denom > 0), 0.0),
        ae=abs_err,
        inside=((e["actual"] >= e["yhat_lower"]) & (e["actual"] <= e["yhat_upper"])).where(
            e["yhat_lower"].notna() & e["yhat_upper"].notna()
        ),
    )
    rows = []
    for (model, h), g in [
        *frame.groupby(["model", "h"]),
        *frame.assign(h=0).groupby(["model", "h"]),
    ]:
        rows.append(
            {
                "model": model,
                "h": int(h),
                "mape": float(g["ape"].mean()) if g["ape"].notna().any() else np.nan,
                "smape": float(g["sape"].mean()),
                "mase": float(g["ae"].mean() / scale) if scale > 0 else np.nan,
                "coverage_80": float(g["inside"].astype("float64").mean())
                if g["inside"].notna().any()
                else np.nan,
                "n": int(len(g)),
            }
        )
    order = {m: i for i, m in enumerate(MODELS)}
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["model", "h"], key=lambda s: s.map(order) if s.name == "model" else s)
