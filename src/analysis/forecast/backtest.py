"""Revenue forecasting per team and for the company: the inputs, the backtest, the blend, the
quarter's quota outlook and the reps' forecast-category roll-up.

`prepare(ds, month)` computes, once per dataset and month, what every scope's forecast needs (the
monthly won revenue and quota per team from the KPI engine, and the open pipeline at every month
end). `forecast_scope(data, team, options)` then forecasts one team (or the company, team=None)
with every model of `analysis.forecast.models`, and scores them on one rolling-origin backtest: the same
cutoffs for every model, each model seeing only the history up to its cutoff. The blend at a
cutoff uses only errors already observable at that cutoff, so its own score is not flattered by
hindsight.

Month M is the last month of history: nothing after its end is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.data.contract import FORECAST_CATEGORIES, OPEN_STAGES
from analysis.data.dataset import Dataset
from analysis.forecast.models import (
    COMPONENTS,
    DUE_BUCKETS,
    MODELS,
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
from analysis.metrics.asof import as_of
from analysis.metrics.kpis import kpi_table, open_pipeline, scope_reps
from analysis.months import month_end, month_range

__all__ = [
    "MODELS",
    "COMPONENTS",
    "CATEGORY_ORDER",
    "ForecastOptions",
    "ForecastData",
    "ForecastResult",
    "prepare",
    "forecast_scope",
    "category_rollup",
    "quarter_of",
]


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
    ds = as_of(ds, month_end(month))  # month_end: the first instant after the month
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
                _ordinals(pipe["expected_close_month"]) - _ordinals(origin), 0, DUE_BUCKETS
            ),
        }
    )
    is_won = opps["stage"].eq("closed_won") & (opps["closed_at"] < month_end(month))
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
