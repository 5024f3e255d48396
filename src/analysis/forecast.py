"""Revenue forecasting: Prophet, two baselines and a pipeline model, backtested on the same folds.

`prepare(ds, month)` computes, once per dataset and month, what every scope's forecast needs (the
monthly won revenue and quota per team from the KPI engine, and the open pipeline at every month
end). `forecast_scope(data, team, options)` then forecasts one team (or the company, team=None):

- prophet: Prophet on monthly won revenue (the `revenue` KPI), yearly seasonality with a low
  Fourier order (36 monthly points cannot carry Prophet's default of 10), optionally the number
  of Thai working days in the month as a regressor (Prophet's country holidays, TH: at monthly
  granularity this is how public holidays such as Songkran can matter);
- seasonal_naive: the same month a year earlier;
- trailing_mean: the mean of the last `trailing_months` months;
- pipeline: bottom-up from the open pipeline at the cutoff. Each open deal's amount times the
  share of pipeline value that, historically (the 12 origins before the cutoff), was won exactly
  h months later, by stage and by how far the expected close date was; plus the revenue that
  historically came from deals not yet created at the origin;
- blend: prophet and pipeline weighted by the inverse of their backtest mean squared error at each
  horizon. In the backtest, the blend at a cutoff uses only errors already observable at that
  cutoff, so its own score is not flattered by hindsight.

Month M is the last month of history: nothing after its end is read (the backtest folds are cut
the same way at each cutoff). Intervals are 80%: Prophet's own; for the baselines and the pipeline
model, the 10th and 90th percentiles of their in-sample errors; for the blend, the weighted
average of its components' quantiles (quantile averaging).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.asof import as_of
from analysis.contract import FORECAST_CATEGORIES, OPEN_STAGES
from analysis.io import Dataset
from analysis.kpis import kpi_table, open_pipeline, scope_reps
from analysis.months import month_end, month_range

__all__ = [
    "MODELS",
    "COMPONENTS",
    "ForecastOptions",
    "ForecastData",
    "ForecastResult",
    "prepare",
    "forecast_scope",
    "seasonal_naive",
    "trailing_mean",
    "prophet_forecast",
    "pipeline_forecast",
    "blend_weights",
    "accuracy",
    "thai_working_days",
    "quarter_of",
    "category_rollup",
    "CATEGORY_ORDER",
]

MODELS = ("prophet", "seasonal_naive", "trailing_mean", "pipeline", "blend")
COMPONENTS = ("prophet", "pipeline")  # what the blend combines
INTERVAL = 0.8
_Q = ((1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2)
_DUE_BUCKETS = 4  # expected close: overdue/this month, +1, +2, +3, +4 or later
_MIN_CELL_DEALS = 5  # a stage x due cell with fewer deals backs off to the stage's pooled rate


@dataclass(frozen=True)
class ForecastOptions:
    """How forecasts are made (params/_defaults.yaml `forecast:`; see `params.ForecastParams`)."""

    horizon: int = 6
    folds: int = 12  # rolling-origin cutoffs: M-folds .. M-1
    trailing_months: int = 6  # the stronger of 3 and 6 in the sample backtest (bench)
    yearly_fourier_order: int = 3
    working_days_regressor: bool = False
    changepoint_prior_scale: float = 0.05
    min_months: int = 24  # below: Prophet is marked low-confidence (no yearly seasonality)
    min_months_prophet: int = 12  # below: Prophet is withheld
    min_train_months: int = 12  # a backtest fold needs this much history before its cutoff
    calibration_months: int = 12  # origins the pipeline model learns its rates from
    samples: int = 1000  # Prophet predictive samples (intervals, quota probability)
    seed: int = 0


@dataclass
class ForecastData:
    """Per-dataset inputs shared by every scope's forecast (computed once by `prepare`)."""

    ds: Dataset
    month: pd.Period
    revenue: pd.DataFrame  # scope_id, month, revenue, quota (teams and "company")
    pipeline: pd.DataFrame  # opportunity_id, team_id, origin, amount, stage, due (months ahead)
    won: pd.DataFrame  # opportunity_id, team_id, created, closed (month ordinals), amount


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


# --- inputs -------------------------------------------------------------------------------------


def prepare(ds: Dataset, month: pd.Period) -> ForecastData:
    """Revenue and quota per team and month (the KPI engine's `revenue` and `quota`) up to `month`
    plus the quota of the following quarters, and the open pipeline at every month end.

    The dataset is first cut at the end of `month` (`asof.as_of`): nothing later is read, except
    the quotas, which are a plan made in advance."""
    month = pd.Period(month, "M")
    ds = as_of(ds, month_end(month) + pd.Timedelta(1, "ns"))
    opps = ds["opportunities"]
    first = opps["created_at"].min().to_period("M")
    # quotas are planned ahead: keep two quarters past the month for the quota outlook
    months = month_range(first, month + 6)
    frames = []
    for level in ("team", "company"):
        k = kpi_table(ds, months, level=level)[["scope_id", "month", "revenue", "quota"]]
        frames.append(k)
    revenue = pd.concat(frames, ignore_index=True)
    later = revenue["month"] > month
    revenue.loc[later, "revenue"] = np.nan  # nothing after M is history

    team_of = ds["reps"].set_index("rep_id")["team_id"]
    pipe = open_pipeline(ds, month_range(first, month))
    end = pipe["month"].dt.end_time
    stage = _stage_at(ds, pipe["opportunity_id"], end)
    origin = pipe["month"]
    pipeline = pd.DataFrame(
        {
            "opportunity_id": pipe["opportunity_id"],
            "team_id": pipe["rep_id"].map(team_of).to_numpy(),
            "origin": _ordinals(origin),
            "amount": pipe["amount"].to_numpy(),
            "stage": stage,
            "due": np.clip(
                _ordinals(pipe["expected_close_month"]) - _ordinals(origin), 0, _DUE_BUCKETS
            ),
        }
    )
    is_won = opps["stage"].eq("closed_won") & (opps["closed_at"] <= month_end(month))
    w = opps[is_won]
    won = pd.DataFrame(
        {
            "opportunity_id": w["opportunity_id"].to_numpy(),
            "team_id": w["rep_id"].map(team_of).to_numpy(),
            "created": _ordinals(w["created_at"].dt.to_period("M")),
            "closed": _ordinals(w["closed_at"].dt.to_period("M")),
            "amount": w["amount"].to_numpy(),
        }
    )
    return ForecastData(ds, month, revenue, pipeline, won)


def _ordinals(periods: pd.Series) -> np.ndarray:
    return pd.PeriodIndex(periods, freq="M").asi8.astype("int64")


def _stage_at(ds: Dataset, opportunity_id: pd.Series, when: pd.Series) -> np.ndarray:
    """The open stage each deal was in at `when` (stage history, else snapshots, else 'open')."""
    source = None
    if ds.has("stage_history"):
        h = ds["stage_history"]
        source = h[h["stage"].isin(OPEN_STAGES)].rename(columns={"entered_at": "t"})
    elif ds.has("opportunity_snapshots"):
        source = ds["opportunity_snapshots"].rename(columns={"snapshot_date": "t"})
    if source is None or source.empty:
        return np.full(len(opportunity_id), "open", dtype=object)
    found = _latest_before(source, "stage", opportunity_id, when)
    return found.fillna(OPEN_STAGES[0]).to_numpy(dtype=object)


def _latest_before(
    source: pd.DataFrame, column: str, opportunity_id: pd.Series, when: pd.Series
) -> pd.Series:
    """`source[column]` of each deal's latest row with t <= `when` (NaN where none)."""
    left = pd.DataFrame(
        {"opportunity_id": opportunity_id.to_numpy(), "t": pd.to_datetime(when.to_numpy())}
    )
    left["i"] = np.arange(len(left))
    left["t"] = left["t"].astype("datetime64[us]")
    right = source[["opportunity_id", "t", column]].copy()
    right["t"] = right["t"].astype("datetime64[us]")
    merged = pd.merge_asof(
        left.sort_values("t", kind="stable"),
        right.sort_values("t", kind="stable"),
        on="t",
        by="opportunity_id",
    ).sort_values("i")
    return merged[column].reset_index(drop=True)


def _scope_frames(data: ForecastData, team: str | None):
    scope_id = "company" if team is None else team
    if team is not None:
        scope_reps(data.ds, team)  # validates the id
    rev = data.revenue[data.revenue["scope_id"].eq(scope_id)].sort_values("month")
    pipe, won = data.pipeline, data.won
    if team is not None:
        pipe = pipe[pipe["team_id"].eq(team)]
        won = won[won["team_id"].eq(team)]
    return scope_id, rev, pipe, won


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
    y: pd.Series, horizon: int, options: ForecastOptions = ForecastOptions(), *, model_out=None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Fit Prophet on monthly revenue `y` and forecast `horizon` months.

    Returns the forecast frame and the predictive samples (horizon x options.samples), which the
    quota outlook sums. Yearly seasonality only from `options.min_months` of history. Predictions
    are floored at zero (revenue is never negative). `model_out`, a list, receives the fitted
    model and its in-sample prediction (for the components plot).
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
    train = pd.DataFrame({"ds": y.index.to_timestamp(), "y": y.to_numpy(dtype="float64")})
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
            samples = model.predictive_samples(future)["yhat"]
            if model_out is not None:
                model_out += [model, model.predict(train)]
    finally:
        np.random.set_state(state)  # noqa: NPY002
    frame = _frame(
        months,
        pred["yhat"].clip(lower=0),
        pred["yhat_lower"].clip(lower=0),
        pred["yhat_upper"].clip(lower=0),
    )
    return frame, np.clip(samples, 0, None)


_STAGE_CODES = {s: i for i, s in enumerate((*OPEN_STAGES, "open"))}
_CELLS = len(_STAGE_CODES) * (_DUE_BUCKETS + 1)


@dataclass(frozen=True)
class _Pipe:
    """One scope's pipeline as arrays: a row per (deal, origin month) it was open at."""

    origin: np.ndarray
    amount: np.ndarray
    stage: np.ndarray  # stage code
    cell: np.ndarray  # stage code x due bucket
    won_month: np.ndarray  # ordinal of the month it was won, -1 if not won (yet)
    won_amount: np.ndarray
    new_created: np.ndarray  # won deals: month created
    new_closed: np.ndarray  # won deals: month won
    new_amount: np.ndarray

    @classmethod
    def build(cls, pipe: pd.DataFrame, won: pd.DataFrame) -> _Pipe:
        stage = pipe["stage"].map(_STAGE_CODES).fillna(_STAGE_CODES["open"]).to_numpy("int64")
        by_id = won.set_index("opportunity_id")
        won_month = pipe["opportunity_id"].map(by_id["closed"]).fillna(-1).to_numpy("int64")
        won_amount = pipe["opportunity_id"].map(by_id["amount"]).fillna(0.0).to_numpy("float64")
        return cls(
            pipe["origin"].to_numpy("int64"),
            pipe["amount"].to_numpy("float64"),
            stage,
            stage * (_DUE_BUCKETS + 1) + pipe["due"].to_numpy("int64"),
            won_month,
            won_amount,
            won["created"].to_numpy("int64"),
            won["closed"].to_numpy("int64"),
            won["amount"].to_numpy("float64"),
        )


def _pipeline_rates(p: _Pipe, origins: np.ndarray, h: int) -> tuple[np.ndarray, float]:
    """Per cell, the share of open value at an origin that was won exactly h months later (a cell
    with fewer than _MIN_CELL_DEALS deals backs off to its stage, then to all pipeline); and the
    mean revenue won in o + h by deals created after o."""
    m = np.isin(p.origin, origins)
    won = np.where(p.won_month[m] == p.origin[m] + h, p.won_amount[m], 0.0)
    amount, cell, stage = p.amount[m], p.cell[m], p.stage[m]
    n_stage = len(_STAGE_CODES)

    def ratio(won_sum, open_sum):
        return np.divide(won_sum, open_sum, out=np.zeros_like(won_sum), where=open_sum > 0)

    overall = ratio(np.array([won.sum()]), np.array([amount.sum()]))[0]
    s_n = np.bincount(stage, minlength=n_stage)
    s_rate = ratio(
        np.bincount(stage, won, minlength=n_stage), np.bincount(stage, amount, minlength=n_stage)
    )
    s_rate = np.where(s_n >= _MIN_CELL_DEALS, s_rate, overall)
    c_n = np.bincount(cell, minlength=_CELLS)
    c_rate = ratio(np.bincount(cell, won, minlength=_CELLS), np.bincount(cell, amount, _CELLS))
    rates = np.where(c_n >= _MIN_CELL_DEALS, c_rate, np.repeat(s_rate, _DUE_BUCKETS + 1))
    new = [p.new_amount[(p.new_created > o) & (p.new_closed == o + h)].sum() for o in origins]
    return rates, float(np.mean(new)) if new else 0.0


def _pipeline_at(p: _Pipe, actual: pd.Series, cutoff: int, horizon: int, months_back: int):
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
    return _pipeline_at(_Pipe.build(pipe, won), actual, cutoff.ordinal, horizon, calibration_months)


# --- backtest and blend -------------------------------------------------------------------------


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


def _blend(forecasts: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Weighted mean of the components' forecasts and of their band edges, per horizon; a band
    is left empty when a weighted component has none (no invented precision)."""
    rows = []
    comps = forecasts[forecasts["model"].isin(COMPONENTS)].dropna(subset=["yhat"])
    for h, g in comps.groupby("h"):
        g = g.merge(weights, on=["h", "model"])
        g = g[g["weight"] > 0]
        if g.empty:
            continue
        w = g["weight"] / g["weight"].sum()
        band = bool(g[["yhat_lower", "yhat_upper"]].notna().all(axis=None))
        rows.append(
            {
                "month": g["month"].iloc[0],
                "h": int(h),
                "yhat": float((w * g["yhat"]).sum()),
                "yhat_lower": float((w * g["yhat_lower"]).sum()) if band else np.nan,
                "yhat_upper": float((w * g["yhat_upper"]).sum()) if band else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=["month", "h", "yhat", "yhat_lower", "yhat_upper"])


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


def _seasonal_scale(y: pd.Series) -> float:
    v = y.to_numpy(dtype="float64")
    lag = 12 if len(v) > 12 else 1
    return float(np.mean(np.abs(v[lag:] - v[:-lag]))) if len(v) > lag else np.nan


def _models_at(
    y: pd.Series,
    cutoff: pd.Period,
    pipe: _Pipe,
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
    out["pipeline"] = _pipeline_at(pipe, train, cutoff.ordinal, horizon, options.calibration_months)
    return out, samples


def _stack(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return pd.concat([f.assign(model=m) for m, f in frames.items()], ignore_index=True)


def forecast_scope(
    data: ForecastData,
    team: str | None = None,
    options: ForecastOptions = ForecastOptions(),
) -> ForecastResult:
    """Forecast one team's (or the company's) won revenue after `data.month`, with its backtest."""
    scope_id, rev, pipe, won = _scope_frames(data, team)
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
    arrays = _Pipe.build(pipe, won)

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
        b = _blend(at, blend_weights(seen, horizon))
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
    fc = pd.concat([fc, _blend(fc, weights).assign(model="blend")], ignore_index=True)
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
    quota = _quota_outlook(rev, month, fc, samples)
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


# --- forecast categories ------------------------------------------------------------------------

CATEGORY_ORDER = (*FORECAST_CATEGORIES, "uncategorised")


def category_rollup(data: ForecastData, team: str | None = None) -> pd.DataFrame | None:
    """The reps' own forecast for the current quarter (see `quarter_of`), as sales leaders roll it
    up: won so far, + commit, + best case, from the deals open at the end of the month whose
    expected close date falls in the quarter (overdue ones included: they are still open).

    The category is the one recorded by the latest snapshot before the month's end when the
    snapshots carry it, else the deal's current category. Returns None when the dataset has no
    forecast categories. Columns: category, deals, amount, cumulative (won + categories so far),
    with a first row "won" (already won in the quarter).
    """
    opps = data.ds["opportunities"]
    if "forecast_category" not in opps or opps["forecast_category"].isna().all():
        return None
    scope_id, rev, pipe, _ = _scope_frames(data, team)
    month = data.month
    quarter = quarter_of(month)
    left = quarter.asfreq("M", "end").ordinal - month.ordinal  # months of the quarter to come
    now = pipe[pipe["origin"].eq(month.ordinal) & (pipe["due"] <= left)]
    category = now["opportunity_id"].map(opps.set_index("opportunity_id")["forecast_category"])
    snaps = data.ds.tables.get("opportunity_snapshots")
    if snaps is not None and snaps["forecast_category"].notna().any():
        seen = _latest_before(
            snaps.rename(columns={"snapshot_date": "t"}),
            "forecast_category",
            now["opportunity_id"],
            pd.Series(month_end(month), index=now.index),
        )
        category = pd.Series(
            np.where(seen.notna(), seen, category.to_numpy()), index=now.index, dtype=object
        )
    q_months = pd.period_range(quarter.asfreq("M", "start"), month, freq="M")
    booked = float(rev.set_index("month")["revenue"].reindex(q_months).fillna(0).sum())
    g = (
        now.assign(category=category.fillna("uncategorised"))
        .groupby("category")["amount"]
        .agg(["count", "sum"])
        .reindex(CATEGORY_ORDER)
        .fillna(0)
    )
    rows = pd.DataFrame(
        {
            "category": ["won", *CATEGORY_ORDER],
            "deals": [np.nan, *g["count"].astype("int64")],
            "amount": [booked, *g["sum"]],
        }
    )
    rows["cumulative"] = rows["amount"].cumsum()
    rows.attrs.update(quarter=str(quarter), scope=scope_id)
    return rows


# --- quota outlook ------------------------------------------------------------------------------


def quarter_of(month: pd.Period) -> pd.Period:
    """The quarter being sold in after `month` closes: the quarter of month + 1.

    >>> str(quarter_of(pd.Period("2026-09", "M"))), str(quarter_of(pd.Period("2026-10", "M")))
    ('2026Q4', '2026Q4')
    """
    return (month + 1).asfreq("Q")


def _quota_outlook(
    rev: pd.DataFrame, month: pd.Period, fc: pd.DataFrame, samples: np.ndarray | None
) -> dict:
    """P(won revenue in the current quarter >= its quota): what is already won in the quarter
    plus joint sample paths for its remaining months. The paths are Prophet's predictive samples
    re-centred month by month on the blend (so the probability agrees with the blend forecast
    shown beside it, while keeping Prophet's spread and its correlation across months)."""
    quarter = quarter_of(month)
    q_months = pd.period_range(quarter.asfreq("M", "start"), quarter.asfreq("M", "end"), freq="M")
    r = rev.set_index("month")
    quota = float(r["quota"].reindex(q_months).sum(min_count=1)) if len(r) else np.nan
    booked = float(r["revenue"].reindex([m for m in q_months if m <= month]).fillna(0).sum())
    remaining = [m for m in q_months if m > month]
    out = {
        "quarter": str(quarter),
        "quota": None if not np.isfinite(quota) or quota <= 0 else quota,
        "booked": booked,
        "remaining_months": [str(m) for m in remaining],
        "method": "prophet_samples_recentred_on_blend",
        "probability": None,
        "forecast_remaining": None,
        "samples": None,
    }
    blend = fc[fc["model"].eq("blend")].set_index("month")["yhat"].reindex(remaining)
    if remaining and blend.notna().all():
        out["forecast_remaining"] = float(blend.sum())
    if samples is None or out["quota"] is None or not remaining:
        return out
    idx = [int((m - (month + 1)).n) for m in remaining]
    paths = samples[idx]
    if blend.notna().all():
        paths = np.clip(
            paths - paths.mean(axis=1, keepdims=True) + blend.to_numpy()[:, None], 0, None
        )
    else:
        out["method"] = "prophet_samples"
    out["probability"] = float(np.mean(booked + paths.sum(axis=0) >= out["quota"]))
    out["samples"] = int(samples.shape[1])
    return out
