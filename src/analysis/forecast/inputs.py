"""The forecast's inputs, computed once per dataset and month: monthly won revenue and quota
per team and for the company (from the KPI engine), and the open pipeline at every month end
with each deal's stage as it was then. The dataset is cut at the end of the month first
(`metrics.asof.as_of`): nothing later is read, except quotas (a plan made in advance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.data.contract import OPEN_STAGES
from analysis.data.dataset import Dataset
from analysis.data.scoped import only, scoped
from analysis.forecast.models import (
    DUE_BUCKETS,
)
from analysis.metrics.asof import as_of, known_from, stage_at
from analysis.metrics.kpis import kpi_table, open_pipeline, scope_reps
from analysis.months import month_range, next_month_start

__all__ = ["ForecastData", "prepare", "scope_frames", "FORECAST_TABLES"]

# what one team's forecast reads of the dataset (`data.scoped`)
FORECAST_TABLES = (
    "teams",
    "reps",
    "quotas",
    "opportunities",
    "stage_history",
    "opportunity_snapshots",
)


@dataclass
class ForecastData:
    """The inputs of every scope's forecast, computed once by `prepare` (or of one team's)."""

    ds: Dataset
    month: pd.Period
    revenue: pd.DataFrame  # scope_id, month, revenue, quota (teams and "company")
    pipeline: pd.DataFrame  # opportunity_id, team_id, origin, amount, stage, due (months ahead)
    won: pd.DataFrame  # opportunity_id, team_id, created, closed (month ordinals), amount
    team: str | None = None  # the one team prepared for (`prepare(..., team)`), else every scope


def prepare(ds: Dataset, month: pd.Period, team: str | None = None) -> ForecastData:
    """Revenue and quota per team and month (the KPI engine's `revenue` and `quota`) up to `month`
    plus the quota of the following quarters, and the open pipeline at every month end.

    The dataset is first cut at the end of `month` (`asof.as_of`): nothing later is read, except
    the quotas, which are a plan made in advance. With `team`, only that team's rows are read
    (`data.scoped`, in DuckDB for tables on disk) and only that team can be forecast from the
    result; without, every team and the company."""
    month = pd.Period(month, "M")
    first = min(ds.first_month, month)  # the company's: a team's months span the same range
    if team is None:
        ds = only(ds, FORECAST_TABLES)  # no other table is read
    else:
        ds = scoped(ds, set(scope_reps(ds, team)["rep_id"]), FORECAST_TABLES)
    ds = as_of(ds, next_month_start(month))
    opps = ds["opportunities"]
    # quotas are planned ahead: keep two quarters past the month for the quota outlook
    months = month_range(first, month + 6)
    frames = []
    for level in ("team", "company") if team is None else ("team",):
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
    is_won = opps["stage"].eq("closed_won") & (opps["closed_at"] < next_month_start(month))
    w = opps[is_won]
    won = pd.DataFrame(
        {
            "opportunity_id": w["opportunity_id"].to_numpy(),
            "team_id": w["rep_id"].map(team_of).to_numpy(),
            # an undated deal: from its close (it was in no month-end pipeline before)
            "created": _ordinals(known_from(ds, w).dt.to_period("M")),
            "closed": _ordinals(w["closed_at"].dt.to_period("M")),
            "amount": w["amount"].to_numpy(),
        }
    )
    return ForecastData(ds, month, revenue, pipeline, won, team)


def _ordinals(periods: pd.Series) -> np.ndarray:
    return pd.PeriodIndex(periods, freq="M").asi8.astype("int64")


def _stage_at(ds: Dataset, opportunity_id: pd.Series, when: pd.Series) -> np.ndarray:
    """The open stage each deal was in at `when` (`metrics.asof.stage_at`; 'open' when the data
    record no stages, the first stage where they say nothing or a closed one)."""
    found = pd.Series(stage_at(ds, opportunity_id, when))
    if not (ds.has("stage_history") or ds.has("opportunity_snapshots")):
        return np.full(len(opportunity_id), "open", dtype=object)
    return found.where(found.isin(OPEN_STAGES), OPEN_STAGES[0]).to_numpy(dtype=object)


def scope_frames(data: ForecastData, team: str | None):
    if data.team is not None and team != data.team:
        raise ValueError(f"team: the forecast inputs were prepared for {data.team!r} only")
    scope_id = "company" if team is None else team
    if team is not None:
        scope_reps(data.ds, team)  # validates the id
    rev = data.revenue[data.revenue["scope_id"].eq(scope_id)].sort_values("month")
    pipe, won = data.pipeline, data.won
    if team is not None:
        pipe = pipe[pipe["team_id"].eq(team)]
        won = won[won["team_id"].eq(team)]
    return scope_id, rev, pipe, won
