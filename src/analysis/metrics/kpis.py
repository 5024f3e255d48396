"""Every KPI of the Account Executive Manager role, per company, team or rep and month.

The definitions (labels, units, direction, formulas) are the registry in `analysis.metrics.registry`;
this module is their one implementation, shared by the CLI, the notebooks and the reports.

Rules that hold for every KPI:
- Month M is the half-open interval [first day of M, first day of M+1) in the dataset's local time.
- As of: the value for M uses only events stamped before the end of M (a property test truncates
  the data at the end of M and checks that nothing changes). Quotas of later months are plans.
- Scope: a rep's events are those with its rep_id; a team is its reps; the company is every rep.
  Tickets without a rep and account-level tables (revenue, accounts) belong to the account owner.
- A ratio with a zero or missing denominator is NaN here and null in JSON, never 0 or infinity.
- A KPI whose table is absent is NaN, and `missing_kpis` says why.

How: SQL in DuckDB (`analysis.metrics.sql` on `analysis.data.engine`), grouped by (scope_id, month ordinal), over the dataset's
tables wherever they are: pandas frames in memory, or Parquet files on disk for a dataset too big
to load (only the aggregates reach pandas). Stocks at a month's end (open pipeline, active reps)
unnest each row into the months it is alive in; others (accounts owned, training assignments)
count rows created by then; "as recorded then" values (snapshots, latest skill scores) are ASOF
joins. The ratios and growth rates are then derived in pandas from the aggregated columns.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd

from analysis.data import cache, engine
from analysis.data.dataset import Dataset
from analysis.metrics.registry import FAMILIES, KPI, KPIS, kpi_markdown
from analysis.metrics.sql import (
    Level,
    Query,
    account_kpis,
    closing_sums,
    event_kpis,
    month_ordinals,
    open_rows_sql,
    opportunity_kpis,
    people_kpis,
    quota_sums,
    ratio,
    scope_month_grid,
)
from analysis.months import month_range

__all__ = [
    "open_pipeline",
    "KPI",
    "KPIS",
    "FAMILIES",
    "Level",
    "kpi_table",
    "shared_kpi_table",
    "shared_kpi_tables",
    "LEVELS",
    "scope_kpi_table",
    "closing_table",
    "kpis_for",
    "missing_kpis",
    "accounts_without_owners",
    "scope_reps",
    "kpi_markdown",
]


_ZERO_WHEN_EMPTY = {k for k, v in KPIS.items() if v.unit == "count"} | {
    "revenue",
    "open_pipeline_amount",
    "expansion_revenue",
}


def open_pipeline(
    ds: Dataset, months: Sequence[pd.Period], rep_ids: Collection[str] | None = None
) -> pd.DataFrame:
    """One row per deal open at the end of each month: opportunity_id, rep_id, month, amount,
    expected_close_month — the rows the open-pipeline KPIs and the funnel waterfall both sum.
    With `rep_ids`, only those reps' deals (filtered in DuckDB)."""
    ords = month_ordinals(months)
    q = Query(ds, ords, "company")
    try:
        where = ""
        if rep_ids is not None:
            engine.register_ids(q.con, "_scope_reps", "rep_id", rep_ids)
            where = "WHERE rep_id IN (SELECT rep_id FROM _scope_reps)"
        sql = f"SELECT * FROM ({open_rows_sql(q)}) {where} ORDER BY m, opportunity_id"
        rows = q.con.execute(sql).df()
    finally:
        q.close()
    due = rows["due"].astype("Int64").to_numpy("int64", na_value=np.iinfo(np.int64).min)
    return pd.DataFrame(
        {
            "opportunity_id": rows["opportunity_id"].astype("str"),
            "rep_id": rows["rep_id"].astype("str"),
            "month": pd.PeriodIndex.from_ordinals(rows["m"].to_numpy("int64"), freq="M"),
            "amount": rows["amount"].astype("float64"),
            "expected_close_month": pd.PeriodIndex.from_ordinals(due, freq="M"),  # min: NaT
        }
    )


def missing_kpis(ds: Dataset, level: Level = "company") -> dict[str, str]:
    """KPI key -> why it is null for this dataset at `level`: its table is absent, or (for teams
    and reps) its accounts have no owner, which puts an account in a team."""
    out = {}
    for key, kpi in KPIS.items():
        absent = [t for t in kpi.requires if not ds.has(t)]
        if absent:
            out[key] = "no " + " / ".join(f"{t} table" for t in absent) + " in the dataset"
    if level != "company" and accounts_without_owners(ds):
        for key, kpi in KPIS.items():
            if "accounts" in kpi.requires and key not in out:
                out[key] = "the accounts table has no owner_rep_id: no account is in a team"
    return out


def accounts_without_owners(ds: Dataset) -> bool:
    """Whether the dataset has accounts but none with an owner (an optional column)."""
    return ds.has("accounts") and ds.tables.all_null("accounts", "owner_rep_id")


_MONTHS: dict[tuple[str, pd.Timestamp], list[pd.Period]] = {}


def _all_months(ds: Dataset) -> list[pd.Period]:
    """Every month from the first opportunity's to the latest complete one (remembered per
    dataset content: `kpi_table` asks on every call)."""
    key = (ds.content_hash, ds.as_of)
    if ds.content_hash and key in _MONTHS:
        return _MONTHS[key]
    months = _month_span(ds)
    if ds.content_hash:
        _MONTHS[key] = months
    return months


def _month_span(ds: Dataset) -> list[pd.Period]:
    return month_range(ds.first_month, ds.latest_complete_month)


def kpi_table(
    ds: Dataset, months: Sequence[pd.Period] | None = None, *, level: Level = "team"
) -> pd.DataFrame:
    """Tidy KPI table: one row per scope and month, one column per KPI in `KPIS`.

    Columns: level, scope_id, month (Period), then every KPI key. `months` defaults to every month
    from the first opportunity to the latest complete one. Teams get rows even with no reps; reps
    get rows for the months they were active in or closed a deal.

    A dataset loaded from disk (it has a content hash) is computed once for all its months and
    levels and shared: within a process and, through the on-disk cache, by every notebook of a
    report run (see `shared_kpi_table`). A month's row does not depend on which other months are
    asked for, so a slice of the shared table equals a direct computation (a test checks it).
    """
    if months is None:
        months = _all_months(ds)
    periods = sorted({pd.Period(m, "M") for m in months})
    full = shared_kpi_table(ds, level)
    if full is not None and periods and set(periods) <= set(_all_months(ds)):
        return full[full["month"].isin(periods)].reset_index(drop=True)
    return _kpi_table(ds, periods, level)


_SHARED: dict[tuple[str, ...], pd.DataFrame] = {}


_SHARED_KEEP = 6  # tables kept in memory (3 levels of 2 datasets)


def scope_kpi_table(
    ds: Dataset, months: Sequence[pd.Period], level: Level, scope_id: str
) -> pd.DataFrame:
    """The KPI rows of one scope (a team, a rep, or the company) in `months`: `kpi_table`'s rows
    for it. Sliced from the shared table when this process or the on-disk cache already holds
    it; else computed for that scope and those months alone (`sql.Query`'s `only`), a fraction
    of the whole table's work on a large company (one team's month: seconds, where the table of
    every team and month takes the better part of a minute)."""
    periods = sorted({pd.Period(m, "M") for m in months})
    full = shared_kpi_table(ds, level, compute=False)
    if full is not None and set(periods) <= set(_all_months(ds)):
        rows = full[full["month"].isin(periods) & full["scope_id"].eq(scope_id)]
        return rows.reset_index(drop=True)
    only = None if level == "company" else scope_id
    return _kpi_table(ds, periods, level, only)


def shared_kpi_table(ds: Dataset, level: Level, compute: bool = True) -> pd.DataFrame | None:
    """`level`'s KPI table over all the dataset's months, computed once per dataset content.

    Kept in memory and in the on-disk cache (`analysis.data.cache`, keyed by the content hash, the
    tables present and the package code), so the batch computes it before fanning out
    (`shared_kpi_tables`) and each report's kernel only reads it. None for a dataset without a
    content hash: one cut as of a date (`asof.as_of`) or built in memory, which is computed
    directly every time. A dataset with a content hash is treated as read-only. Do not modify
    the returned frame. `compute=False`: None unless the table is already in memory or in the
    cache.
    """
    if not ds.content_hash:
        return None
    key = _shared_key(ds, level)
    if key not in _SHARED:
        if compute:
            table = cache.memo("kpis", key, lambda: _kpi_table(ds, _all_months(ds), level))
        else:
            table = cache.load(cache.entry("kpis", *key))
            if table is None:
                return None
        _keep(key, table)
    return _SHARED[key]


LEVELS: tuple[Level, ...] = ("company", "team", "rep")


def shared_kpi_tables(ds: Dataset, levels: Sequence[Level] = LEVELS) -> None:
    """Make the shared KPI tables (`shared_kpi_table`) of `levels`, those neither in memory
    nor in the cache computed together (`_kpi_tables`: the open pipeline at every month end
    computed once for all of them). What the batch runs before the reports' kernels start."""
    if not ds.content_hash:
        return
    todo = [level for level in levels if shared_kpi_table(ds, level, compute=False) is None]
    if not todo:
        return
    for level, table in _kpi_tables(ds, _all_months(ds), todo).items():
        key = _shared_key(ds, level)
        cache.store(cache.entry("kpis", *key), table)
        _keep(key, table)


def _shared_key(ds: Dataset, level: Level) -> tuple[str, ...]:
    return (ds.content_hash, ",".join(ds.tables), level)


def _keep(key: tuple[str, ...], table: pd.DataFrame) -> None:
    while len(_SHARED) >= _SHARED_KEEP:
        _SHARED.pop(next(iter(_SHARED)))
    _SHARED[key] = table


CLOSING_COLUMNS = ("deals_won", "deals_lost", "revenue", "quota")


def closing_table(ds: Dataset, months: Sequence[pd.Period], level: Level = "rep") -> pd.DataFrame:
    """deals_won, deals_lost, revenue and quota per scope and month, with the KPI table's own SQL
    (`sql.closing_sums`, `sql.quota_sums`) and none of its other KPIs: 2 s instead of 16 s for a
    company of 5 million deals, for the analyses that need only these (the skill tests' panel).
    Columns scope_id, month (Period) and those four; only the (scope, month) pairs with a closing
    or a quota, so missing pairs are 0 (quota: NaN without a quotas table). Equal to the same
    columns of `kpi_table` (a test checks it); computed once per dataset content (on-disk cache)."""
    ords = month_ordinals(months)
    key = (ds.content_hash, ",".join(ds.tables), level, ",".join(map(str, ords)))
    return cache.memo("closing-table", key, lambda: _closing_table(ds, ords, level))


def _closing_table(ds: Dataset, ords: np.ndarray, level: Level) -> pd.DataFrame:
    q = Query(ds, ords, level)
    try:
        cols = closing_sums(q) | (quota_sums(q) if ds.has("quotas") else {})
    finally:
        q.close()
    frame = pd.DataFrame(cols).reindex(columns=list(CLOSING_COLUMNS))
    frame = frame[frame.index.get_level_values("month").isin(ords)]
    frame[["deals_won", "deals_lost", "revenue"]] = frame[
        ["deals_won", "deals_lost", "revenue"]
    ].fillna(0.0)
    if ds.has("quotas"):
        frame["quota"] = frame["quota"].fillna(0.0)
    frame = frame.reset_index()
    frame["month"] = pd.PeriodIndex.from_ordinals(frame["month"].to_numpy(), freq="M")
    return frame.sort_values(["scope_id", "month"], ignore_index=True)


def _kpi_table(
    ds: Dataset, months: Sequence[pd.Period], level: Level, only: str | None = None
) -> pd.DataFrame:
    return _kpi_tables(ds, months, (level,), only)[level]


def _kpi_tables(
    ds: Dataset, months: Sequence[pd.Period], levels: Sequence[Level], only: str | None = None
) -> dict[Level, pd.DataFrame]:
    """The KPI table of each of `levels` (`only`: that scope's rows, one level), from one
    DuckDB connection: the closings, the active rep-months and, for several levels, the open
    rows at every month end are computed once and rolled up to each level in turn."""
    ords = month_ordinals(months)
    q = Query(ds, ords, levels[0], only)
    tables = {}
    try:
        # reps active in M: hired before its end and not left before its start
        q.con.execute(f"""
            CREATE TEMP TABLE active_rep_months AS
            SELECT * FROM (
                SELECT rep_id, unnest(range(greatest(month_ord(hire_date), {q.lo}),
                    least(coalesce(month_ord(left_date), {q.hi}), {q.hi}) + 1)) AS m
                FROM reps)
            WHERE {q.in_months("m")}""")
        if len(levels) > 1:
            q.keep_open_rows()
        for level in levels:
            if level != q.level:
                q.at_level(level)
            cols: dict[str, pd.Series] = {}
            cols.update(opportunity_kpis(q))
            cols.update(event_kpis(q))
            if ds.has("accounts"):
                cols.update(account_kpis(q))
            cols.update(people_kpis(q))
            tables[level] = _assemble(ds, scope_month_grid(q), cols, level)
    finally:
        q.close()
    return tables


def _assemble(
    ds: Dataset, grid: pd.MultiIndex, cols: dict[str, pd.Series], level: Level
) -> pd.DataFrame:
    """The KPI table on `grid` from the aggregated columns: zero-filled counts, the ratios and
    growth rates derived from them, nulls for KPIs whose tables are absent."""
    missing = missing_kpis(ds, level)
    frame = pd.DataFrame(index=grid)
    for key in [*KPIS, "_active_reps"]:
        series = cols.get(key)
        values = (
            series.reindex(grid)
            if series is not None and len(series)
            else pd.Series(np.nan, index=grid)
        )
        if key == "_active_reps" or (key in _ZERO_WHEN_EMPTY and key not in missing):
            values = values.fillna(0.0)
        frame[key] = values.astype("float64")
    for name, lag in (("revenue_growth_mom", 1), ("revenue_growth_yoy", 12)):
        earlier = pd.MultiIndex.from_arrays(
            [grid.get_level_values(0), grid.get_level_values(1) - lag]
        )
        before = cols["_revenue_ext"].reindex(earlier).fillna(0.0).to_numpy()
        frame[name] = ratio(frame["revenue"], pd.Series(before, index=grid)) - 1
    frame["quota_attainment"] = ratio(frame["revenue"], frame["quota"])
    frame["win_rate"] = ratio(frame["deals_won"], frame["deals_won"] + frame["deals_lost"])
    frame["avg_deal_size"] = ratio(frame["revenue"], frame["deals_won"])
    cycle = frame["avg_sales_cycle_days"]
    frame["pipeline_velocity"] = (
        frame["open_opportunities"]
        * frame["win_rate"]
        * frame["avg_deal_size"]
        / cycle.where(cycle > 0)
    )
    frame["deals_won_per_rep"] = ratio(frame["deals_won"], frame["_active_reps"])
    for key in missing:
        frame[key] = np.nan
    for key in _ZERO_WHEN_EMPTY - set(missing):
        if KPIS[key].unit == "count":
            frame[key] = frame[key].astype("int64")
    frame = frame.drop(columns="_active_reps").reset_index()
    frame["month"] = pd.PeriodIndex.from_ordinals(frame["month"].to_numpy(), freq="M")
    frame["level"] = level
    return frame[["level", "scope_id", "month", *KPIS]].sort_values(
        ["scope_id", "month"], ignore_index=True
    )


def scope_reps(ds: Dataset, team: str | None = None) -> pd.DataFrame:
    """The reps in a team (all reps when `team` is None); raise ValueError for an unknown team."""
    reps = ds["reps"]
    if team is None:
        return reps
    known = ds["teams"]["team_id"].tolist()
    if team not in known:
        raise ValueError(f"team: {team!r} is not in teams.team_id (valid: {', '.join(known)})")
    return reps[reps["team_id"].eq(team)]


def kpis_for(
    ds: Dataset, month: pd.Period, *, team: str | None = None, rep: str | None = None
) -> dict[str, float | int | None]:
    """The KPIs of one scope (company, a team or a rep) for one month, as plain Python values."""
    if team is not None and rep is not None:
        raise ValueError("give a team or a rep, not both")
    if rep is not None:
        if rep not in set(ds["reps"]["rep_id"]):
            raise ValueError(f"rep: {rep!r} is not in reps.rep_id")
        level, scope_id = "rep", rep
    elif team is not None:
        scope_reps(ds, team)  # validates the id
        level, scope_id = "team", team
    else:
        level, scope_id = "company", "company"
    table = scope_kpi_table(ds, [month], level, scope_id)
    row = table[table["scope_id"].eq(scope_id)]
    if row.empty:  # a rep neither active nor closing anything that month
        missing = missing_kpis(ds, level)  # once: it may read the accounts' owner column
        return {k: (0 if k in _ZERO_WHEN_EMPTY and k not in missing else None) for k in KPIS}
    values = row.iloc[0]
    return {k: _plain(values[k]) for k in KPIS}


def _plain(value) -> float | int | None:
    if value is None or pd.isna(value) or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, np.integer | int):
        return int(value)
    return float(value)
