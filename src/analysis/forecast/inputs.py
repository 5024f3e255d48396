"""The forecast's inputs, computed once per dataset and month: monthly won revenue and quota
per team and for the company (from the KPI engine's SQL), and the open pipeline at every month
end summed by team, stage then, expected close and outcome, in DuckDB. Only what was known at
the end of the month is read (the same as `metrics.asof.as_of` would leave), except quotas (a
plan made in advance).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from analysis.data.contract import OPEN_STAGES
from analysis.data.dataset import Dataset
from analysis.data.engine import sql_timestamp
from analysis.data.scoped import only, scoped
from analysis.forecast.models import DUE_BUCKETS
from analysis.metrics.asof import as_of
from analysis.metrics.kpis import scope_reps
from analysis.metrics.sql import (
    Query,
    closed_as_of_sql,
    closing_sums,
    month_ordinals,
    open_rows_sql,
    quota_sums,
    scope_month_grid,
)
from analysis.metrics.sql import known_from as sql_known_from
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


@dataclass
class ForecastData:
    """The inputs of every scope's forecast, computed once by `prepare` (or of one team's)."""

    ds: Dataset  # the teams and reps only, cut at the month's end
    month: pd.Period
    revenue: pd.DataFrame  # scope_id, month, revenue, quota (teams and "company")
    # the deals open at each month end, summed: team_id, origin (month ordinal), stage, due
    # (months ahead, 0-DUE_BUCKETS), category (recorded at the month's end; on the rows of the
    # month's own end only), won (month ordinal it was won, -1: not won), n (deals), amount,
    # won_amount (`models.PipelineArrays`)
    pipeline: pd.DataFrame
    won: pd.DataFrame  # won deals summed: team_id, created, closed (month ordinals), amount
    team: str | None = None  # the one team prepared for (`prepare(..., team)`), else every scope
    categories: bool = False  # the deals carry forecast categories


def prepare(ds: Dataset, month: pd.Period, team: str | None = None) -> ForecastData:
    """Revenue and quota per team and month (the KPI engine's `revenue` and `quota`) up to `month`
    plus the quota of the following quarters, and the open pipeline at every month end.

    Only what was known by the end of `month` is read (`asof.as_of`), except the quotas, which
    are a plan made in advance. With `team`, only that team's rows are read (`data.scoped`, in
    DuckDB for tables on disk) and only that team can be forecast from the result; without,
    every team and the company, summed in DuckDB over the whole dataset (the company's 5 million
    deals never reach pandas). Revenue and quota are sums over reps, and every rep is in one
    team, so the company's are the sums of its teams'."""
    month = pd.Period(month, "M")
    first = min(ds.first_month, month)  # the company's: a team's months span the same range
    source = ds
    if team is not None:
        reps = scope_reps(ds, team)  # validates the id
        source = scoped(ds, set(reps["rep_id"]), FORECAST_TABLES)
    part = _part(source, month, first)
    revenue = part.revenue
    if team is not None:
        revenue = revenue[revenue["scope_id"].eq(team)].reset_index(drop=True)
    else:
        company = (
            revenue.groupby("month", sort=True)[["revenue", "quota"]]
            .sum(min_count=1)
            .reset_index()
            .assign(scope_id="company")
        )
        revenue = pd.concat([revenue, company[revenue.columns]], ignore_index=True)
    people = as_of(only(ds, ("teams", "reps")), next_month_start(month))
    return ForecastData(
        people, month, revenue, part.pipeline, part.won, team, categories=part.categories
    )


class _Part(NamedTuple):
    revenue: pd.DataFrame
    pipeline: pd.DataFrame
    won: pd.DataFrame
    categories: bool


def _part(ds: Dataset, month: pd.Period, first: pd.Period) -> _Part:
    """The inputs of every team of `ds`, aggregated in DuckDB over its tables where they are (the
    files of a dataset left on disk): nothing but the sums below reaches pandas.

    Every month end from `first` to `month` only reads what was known by then, so this equals
    the same sums over `as_of(ds, <end of month>)` (a test checks it against the pandas cut):
    the open rows and closings are the KPI engine's (`sql.open_rows_sql`, `sql.closed_as_of_sql`),
    a deal's stage at a month end is its latest stage history entry (else snapshot) before it.
    """
    cutoff = next_month_start(month)
    # quotas are planned ahead: keep two quarters past the month for the quota outlook
    q = Query(ds, month_ordinals(month_range(first, month + 6)), "team")
    try:
        revenue = _revenue(q, month)
        sources = _category_tables(ds)
        categories = _has_categories(q, cutoff, sources)
        q.con.execute(f"CREATE TEMP TABLE _won AS {_won_sql(ds, cutoff)}")
        pipeline = q.con.execute(_pipeline_sql(q, month, sources if categories else ())).df()
        won = q.con.execute(
            "SELECT team_id, created, closed, sum(amount) AS amount FROM _won "
            "GROUP BY ALL ORDER BY ALL"
        ).df()
    finally:
        q.close()
    pipeline = pipeline.astype(
        {c: "int64" for c in ("origin", "due", "won", "n")}
        | {"amount": "float64", "won_amount": "float64"}
    )
    pipeline["category"] = pipeline["category"].astype(object).where(pipeline["category"].notna())
    won = won.astype({"created": "int64", "closed": "int64", "amount": "float64"})
    return _Part(revenue, pipeline, won, categories)


def _revenue(q: Query, month: pd.Period) -> pd.DataFrame:
    """scope_id (every team), month, revenue (NaN after `month`: nothing after M is history) and
    quota (NaN where a team has none): the KPI table's `revenue` and `quota`, from its SQL."""
    sums = closing_sums(q)
    quota = quota_sums(q)["quota"] if q.ds.has("quotas") else pd.Series(dtype="float64")
    grid = scope_month_grid(q)
    frame = pd.DataFrame(
        {
            "revenue": sums["revenue"].reindex(grid).fillna(0.0).to_numpy("float64"),
            "quota": quota.reindex(grid).to_numpy("float64"),
        },
        index=grid,
    ).reset_index()
    frame["month"] = pd.PeriodIndex.from_ordinals(frame["month"].to_numpy("int64"), freq="M")
    frame.loc[frame["month"] > month, "revenue"] = np.nan
    return frame[["scope_id", "month", "revenue", "quota"]].sort_values(
        ["scope_id", "month"], ignore_index=True
    )


def _category_tables(ds: Dataset) -> tuple[str, ...]:
    """The tables of `ds` with a forecast_category column: opportunities (a deal's current one)
    and opportunity_snapshots (as recorded then). A table on disk is read through a view with
    every contract column; a frame in memory may lack an optional one."""
    tables = ("opportunities", "opportunity_snapshots")
    return tuple(
        name
        for name in tables
        if ds.has(name)
        and (ds.tables.loaded(name) is None or "forecast_category" in ds.tables.loaded(name))
    )


def _has_categories(q: Query, cutoff: pd.Timestamp, sources: tuple[str, ...]) -> bool:
    """Whether the deals carried forecast categories before `cutoff` (in `sources`,
    `_category_tables`): a deal known by then has one, or a snapshot taken before then recorded
    one (a deal's current category is often cleared when it closes, so a past month's
    categories may live in the snapshots only)."""
    at = sql_timestamp(cutoff)
    when = {
        "opportunities": f"{sql_known_from(q.ds)} < {at}",
        "opportunity_snapshots": f"snapshot_date < {at}",
    }
    found = [
        f"SELECT 1 FROM {name} WHERE forecast_category IS NOT NULL AND {when[name]}"
        for name in sources
    ]
    if not found:
        return False
    return bool(q.con.execute(f"SELECT EXISTS ({' UNION ALL '.join(found)})").fetchone()[0])


def _won_sql(ds: Dataset, cutoff: pd.Timestamp) -> str:
    """The deals won before `cutoff`, as `as_of(ds, cutoff)` has them: opportunity_id, team_id,
    created and closed (month ordinals; an undated deal is known from its close) and amount."""
    return f"""
        SELECT c.opportunity_id, r.team_id, month_ord(coalesce(o.created_at, c.closed_at))
                AS created, month_ord(c.closed_at) AS closed, o.amount
        FROM ({closed_as_of_sql(ds, cutoff)}) c
        JOIN opportunities o ON o.opportunity_id = c.opportunity_id
        LEFT JOIN reps r ON r.rep_id = c.rep_id
        WHERE c.stage = 'closed_won'"""


def _pipeline_sql(q: Query, month: pd.Period, categories: tuple[str, ...]) -> str:
    """The open pipeline at every month end up to `month`, summed by team, origin (the month),
    stage then, due bucket (months from the origin to the expected close, 0 for overdue or
    unknown, at most DUE_BUCKETS), the month the deal was won (-1: not won by `month`'s end)
    and, at `month`'s own end, forecast category (from the tables `categories`, none: no
    category): n (deals), amount, won_amount."""
    ds, m = q.ds, month.ordinal
    history = _history_sql(ds)
    if history is None:
        stage = "'open'"
        staged = "SELECT *, NULL AS at_stage FROM _open"
    else:
        open_stages = ", ".join(f"'{s}'" for s in OPEN_STAGES)
        stage = f"CASE WHEN at_stage IN ({open_stages}) THEN at_stage ELSE '{OPEN_STAGES[0]}' END"
        staged = f"""SELECT r.*, h.stage AS at_stage FROM _open r
            ASOF LEFT JOIN ({history}) h
            ON h.opportunity_id = r.opportunity_id AND r.end_ts > h.t"""
    category, join, recorded = "NULL", "", ()
    if categories:  # the latest snapshot's category before the month's end, else the current
        current = snapshot = "NULL"
        if "opportunities" in categories:
            current = "o.forecast_category"
            join = "LEFT JOIN opportunities o ON o.opportunity_id = p.opportunity_id"
        if "opportunity_snapshots" in categories:  # from the snapshot that values the open row
            recorded = ("forecast_category",)
            snapshot = "p.recorded_forecast_category"
        category = f"CASE WHEN p.m = {m} THEN coalesce({snapshot}, {current}) END"
    return f"""
        WITH _open AS (
            SELECT *, month_start(m + 1) AS end_ts
            FROM ({open_rows_sql(q, last=m, recorded=recorded)})),
        p AS ({staged})
        SELECT t.team_id, p.m AS origin, {stage} AS stage,
            CASE WHEN p.due IS NULL THEN 0
                 ELSE least(greatest(p.due - p.m, 0), {DUE_BUCKETS}) END AS due,
            {category} AS category,
            coalesce(w.closed, -1) AS won, count(*) AS n, sum(p.amount) AS amount,
            coalesce(sum(w.amount), 0) AS won_amount
        FROM p LEFT JOIN _won w ON w.opportunity_id = p.opportunity_id
        LEFT JOIN reps t ON t.rep_id = p.rep_id
        {join}
        GROUP BY ALL ORDER BY ALL"""


def _history_sql(ds: Dataset) -> str | None:
    """Where a deal's stage over time is recorded (`metrics.asof.stage_at`): stage history, else
    the snapshots; None without either."""
    if ds.has("stage_history"):
        return "SELECT opportunity_id, stage, entered_at AS t FROM stage_history"
    if ds.has("opportunity_snapshots"):
        return "SELECT opportunity_id, stage, snapshot_date AS t FROM opportunity_snapshots"
    return None


def concat_rows(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames' rows as one frame, leaving out the empty ones (the first is kept when all
    are): pandas 3 concatenates an empty frame's untyped columns as object, which made a short
    history's forecast (no statistical model, no combination) a frame of objects that
    matplotlib cannot draw."""
    full = [f for f in frames if len(f)]
    return pd.concat(full or frames[:1], ignore_index=True)


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
