"""What the forecast says about the quarter being sold in: the probability of making its quota
(Prophet's sample paths re-centred on the blend) and the reps' own forecast categories rolled
up as sales leaders do (won, + commit, + best case)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data.contract import FORECAST_CATEGORIES
from analysis.forecast.inputs import ForecastData, scope_frames

__all__ = ["CATEGORY_ORDER", "category_rollup", "quarter_of", "quota_outlook"]


# --- forecast categories ------------------------------------------------------------------------

CATEGORY_ORDER = (*FORECAST_CATEGORIES, "uncategorised")


def category_rollup(data: ForecastData, team: str | None = None) -> pd.DataFrame | None:
    """The reps' own forecast for the current quarter (see `quarter_of`), as sales leaders roll it
    up: won so far, + commit, + best case, from the deals open at the end of the month whose
    expected close date falls in the quarter (overdue ones included: they are still open).

    The category is the one recorded by the latest snapshot before the month's end when the
    snapshots carry it, else the deal's current category (`inputs.prepare`). Returns None when
    the dataset has no forecast categories. Columns: category, deals, amount, cumulative (won +
    categories so far), with a first row "won" (already won in the quarter) once the quarter has
    started: at a quarter's last month the rollup is of the next one, where nothing can be won
    yet, and it starts at commit.
    """
    if not data.categories:
        return None
    scope_id, rev, pipe, _ = scope_frames(data, team)
    month = data.month
    quarter = quarter_of(month)
    left = quarter.asfreq("M", "end").ordinal - month.ordinal  # months of the quarter to come
    now = pipe[pipe["origin"].eq(month.ordinal) & (pipe["due"] <= left)]
    category = now["category"]
    q_months = pd.period_range(quarter.asfreq("M", "start"), month, freq="M")
    booked = float(rev.set_index("month")["revenue"].reindex(q_months).fillna(0).sum())
    g = (
        now.assign(category=category.fillna("uncategorised"))
        .groupby("category")[["n", "amount"]]
        .sum()
        .reindex(CATEGORY_ORDER)
        .fillna(0)
    )
    rows = pd.DataFrame(
        {
            "category": ["won", *CATEGORY_ORDER],
            "deals": [np.nan, *g["n"].astype("int64")],
            "amount": [booked, *g["amount"]],
        }
    )
    if not _started(quarter, month):  # no "won ฿0" row
        rows = rows.iloc[1:].reset_index(drop=True)
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


def _started(quarter: pd.Period, month: pd.Period) -> bool:
    """Whether a month of `quarter` has closed by the end of `month`: not at the last month of
    the quarter before, where `quarter_of` is already the next one and nothing can be won in it."""
    return month >= quarter.asfreq("M", "start")


def quota_outlook(
    rev: pd.DataFrame,
    month: pd.Period,
    fc: pd.DataFrame,
    samples: np.ndarray | None,
    model: str = "blend",
) -> dict:
    """P(won revenue in the current quarter >= its quota): what is already won in the quarter
    plus joint sample paths for its remaining months. The paths are Prophet's predictive samples
    re-centred month by month on `model`'s forecast (the headline), and their spread scaled so
    that their 10th-90th percentile range is that forecast's 80% band where it has one: the
    probability agrees with the forecast and band shown beside it, while keeping Prophet's
    correlation across months."""
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
        "starts": str(q_months[0]),
        "started": _started(quarter, month),
        "remaining_months": [str(m) for m in remaining],
        "method": f"prophet_samples_recentred_on_{model}",
        "model": model,
        "probability": None,
        "forecast_remaining": None,
        "samples": None,
    }
    lead = fc[fc["model"].eq(model)].set_index("month").reindex(remaining)
    if remaining and lead["yhat"].notna().all():
        out["forecast_remaining"] = float(lead["yhat"].sum())
    if samples is None or out["quota"] is None or not remaining:
        return out
    idx = [int((m - (month + 1)).n) for m in remaining]
    paths = samples[idx]
    if lead["yhat"].notna().all():
        spread = paths - paths.mean(axis=1, keepdims=True)
        width = np.subtract(*np.quantile(paths, [0.9, 0.1], axis=1))
        band = (lead["yhat_upper"] - lead["yhat_lower"]).to_numpy()
        scale = np.where(np.isfinite(band) & (width > 0), band / np.where(width > 0, width, 1), 1.0)
        paths = np.clip(spread * scale[:, None] + lead["yhat"].to_numpy()[:, None], 0, None)
    else:
        out["method"] = "prophet_samples"
    out["probability"] = float(np.mean(booked + paths.sum(axis=0) >= out["quota"]))
    out["samples"] = int(samples.shape[1])
    return out
