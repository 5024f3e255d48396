"""The forecast's inputs, computed once per dataset and month: monthly won revenue and quota
per team and for the company (from the KPI engine), and the open pipeline at every month end
with each deal's stage as it was then. The dataset is cut at the end of the month first
(`metrics.asof.as_of`): nothing later is read, except quotas (a plan made in advance).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from analysis.data.contract import OPEN_STAGES
from analysis.data.dataset import Dataset
from analysis.data.scoped import only, scoped, team_groups
from analysis.forecast.models import (
    DUE_BUCKETS,
)
from analysis.metrics.asof import as_of, known_from, latest_before, stage_at
from analysis.metrics.kpis import kpi_table, open_pipeline, scope_reps
from analysis.months import month_range, next_month_start

__all__ = ["ForecastData", "prepare", "scope_frames", "concat_rows", "FORECAST_TABLES"]

# what one team's forecast reads of the dataset (`data.scoped`)
FORECAST_TABLES = (
    "teams",
    "reps",
    "quotas",
    "opportunities",
    "stage_history",
    "opportunity_snapshots",
)


# The company's inputs are gathered a group of teams at a time (`data.scoped.team_groups`), so
# the deals, their stage history and snapshots in pandas at once are at most about this many
# deals' worth, whatever the company's size (issue 21: the 300-team benchmark company's 5M deals
# read at once took 9.5 GB).
GROUP_DEALS = 400_000


@dataclass
class ForecastData:
    """The inputs of every scope's forecast, computed once by `prepare` (or of one team's)."""

    ds: Dataset  # cut at the month's end: one team's rows, or (company) the teams and reps only
    month: pd.Period
    revenue: pd.DataFrame  # scope_id, month, revenue, quota (teams and "company")
    # opportunity_id, team_id, origin, amount, stage, due (months ahead), and category: the
    # deal's forecast category as recorded at the month's end (rows of the month's own end only)
    pipeline: pd.DataFrame
    won: pd.DataFrame  # opportunity_id, team_id, created, closed (month ordinals), amount
    team: str | None = None  # the one team prepared for (`prepare(..., team)`), else every scope
    categories: bool = False  # the deals carry forecast categories


def prepare(
    ds: Dataset, month: pd.Period, team: str | None = None, *, group_deals: int = GROUP_DEALS
) -> ForecastData:
    """Revenue and quota per team and month (the KPI engine's `revenue` and `quota`) up to `month`
    plus the quota of the following quarters, and the open pipeline at every month end.

    The dataset is first cut at the end of `month` (`asof.as_of`): nothing later is read, except
    the quotas, which are a plan made in advance. With `team`, only that team's rows are read
    (`data.scoped`, in DuckDB for tables on disk) and only that team can be forecast from the
    result; without, every team and the company, read a group of teams of at most `group_deals`
    deals at a time. Revenue and quota are sums over reps, and every rep is in one team, so the
    company's are the sums of its teams'; every other input is a row per deal, which belongs to
    one team."""
    month = pd.Period(month, "M")
    first = min(ds.first_month, month)  # the company's: a team's months span the same range
    if team is not None:
        scope_reps(ds, team)  # validates the id
        part = _part(ds, month, first, [team])
        return ForecastData(
            part.ds, month, part.revenue, part.pipeline, part.won, team, part.categories
        )
    # each group's tables are let go once its rows are made (only the rows are kept)
    parts = [
        _part(ds, month, first, group)._replace(ds=None) for group in team_groups(ds, group_deals)
    ]
    teams = pd.concat([p.revenue for p in parts], ignore_index=True)
    company = (
        teams.groupby("month", sort=True)[["revenue", "quota"]]
        .sum(min_count=1)
        .reset_index()
        .assign(scope_id="company")
    )
    revenue = pd.concat([teams, company[teams.columns]], ignore_index=True)
    people = as_of(only(ds, ("teams", "reps")), next_month_start(month))
    return ForecastData(
        people,
        month,
        revenue,
        concat_rows([p.pipeline for p in parts]),
        concat_rows([p.won for p in parts]),
        categories=any(p.categories for p in parts),
    )


class _Part(NamedTuple):
    ds: Dataset | None
    revenue: pd.DataFrame
    pipeline: pd.DataFrame
    won: pd.DataFrame
    categories: bool


def _part(ds: Dataset, month: pd.Period, first: pd.Period, teams: list[str]) -> _Part:
    """The inputs of `teams`: their reps' rows only, cut at the month's end."""
    reps = ds["reps"]
    ds = scoped(ds, set(reps.loc[reps["team_id"].isin(teams), "rep_id"]), FORECAST_TABLES)
    ds = as_of(ds, next_month_start(month))
    opps = ds["opportunities"]
    # quotas are planned ahead: keep two quarters past the month for the quota outlook
    months = month_range(first, month + 6)
    k = kpi_table(ds, months, level="team")[["scope_id", "month", "revenue", "quota"]]
    revenue = k[k["scope_id"].isin(teams)].reset_index(drop=True)
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
    categories = "forecast_category" in opps and bool(opps["forecast_category"].notna().any())
    pipeline["category"] = _category(ds, pipeline, month) if categories else None
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
    return _Part(ds, revenue, pipeline, won, categories)


def _category(ds: Dataset, pipeline: pd.DataFrame, month: pd.Period) -> pd.Series:
    """The forecast category of each deal open at the end of `month` (None on other rows): the
    one recorded by the latest snapshot before the month's end when the snapshots carry it,
    else the deal's current one."""
    now = pipeline[pipeline["origin"].eq(month.ordinal)]
    opps = ds["opportunities"].set_index("opportunity_id")["forecast_category"]
    category = now["opportunity_id"].map(opps).to_numpy(dtype=object)
    snaps = ds.tables.get("opportunity_snapshots")
    if snaps is not None and snaps["forecast_category"].notna().any():
        seen = latest_before(
            snaps.rename(columns={"snapshot_date": "t"}),
            "forecast_category",
            now["opportunity_id"],
            pd.Series(next_month_start(month), index=now.index),
        )
        category = np.where(seen.notna(), seen, category)
    out = pd.Series(None, index=pipeline.index, dtype=object)
    out[now.index] = category
    return out


def concat_rows(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames' rows as one frame, leaving out the empty ones (the first is kept when all
    are): pandas 3 concatenates an empty frame's untyped columns as object, which made a short
    history's forecast (no statistical model, no combination) a frame of objects that
    matplotlib cannot draw, and would do the same to a group of teams without deals."""
    full = [f for f in frames if len(f)]
    return pd.concat(full or frames[:1], ignore_index=True)


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
