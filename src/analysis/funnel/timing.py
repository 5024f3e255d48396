"""Time: days in each stage, cycle lengths, time to close and lead time to conversion, summed in
DuckDB over the funnel's tables (`inputs.FunnelTables`)."""

from __future__ import annotations

import pandas as pd

from analysis.data.engine import sql_timestamp
from analysis.funnel.conversion import closed_in_window
from analysis.funnel.estimators import kaplan_meier
from analysis.funnel.inputs import DAYS, FunnelData

__all__ = ["time_in_stage", "cycle_lengths", "time_to_close", "time_to_convert"]


def time_in_stage(fd: FunnelData) -> pd.DataFrame:
    """Days spent in each open stage, for stays that ended in the last 12 months.
    Columns: stage, n, median_days, p80_days."""
    cols = ["stage", "n", "median_days", "p80_days"]
    if not fd.has_history:
        return pd.DataFrame(columns=cols)
    stages = ", ".join(f"'{s}'" for s in fd.stages)
    days = DAYS.format(a="entered_at", b="left_at")
    found = fd.sql(
        f"""SELECT stage, count(*) AS n, quantile_cont({days}, 0.5) AS median_days,
            quantile_cont({days}, 0.8) AS p80_days
        FROM f_history
        WHERE stage IN ({stages}) AND left_at >= {sql_timestamp(fd.window_start)} GROUP BY ALL"""
    )
    found = found.astype({"stage": "str"}).set_index("stage")
    out = found.reindex(list(fd.stages))
    out["n"] = out["n"].fillna(0).astype("int64")
    return (
        out.astype({"median_days": "float64", "p80_days": "float64"})
        .rename_axis("stage")
        .reset_index()[cols]
    )


def cycle_lengths(fd: FunnelData) -> pd.DataFrame:
    """Sales cycles (days from creation to close) of the deals closed in the last 12 months: how
    many deals had each length. Columns: outcome (won/lost), days, deals."""
    days = DAYS.format(a="d.created_at", b="d.closed_at")
    out = fd.sql(
        f"""SELECT CASE WHEN d.stage = 'closed_won' THEN 'won' ELSE 'lost' END AS outcome,
            {days} AS days, count(*) AS deals
        FROM f_deals d WHERE {closed_in_window(fd)} GROUP BY ALL ORDER BY outcome DESC, days"""
    )
    return out.astype({"outcome": "str", "days": "float64", "deals": "int64"})


def _survival(fd: FunnelData, table: str, event: str) -> pd.DataFrame:
    """Kaplan-Meier curve of days from `created_at` to `event` for the rows of `table` created in
    the last 12 months, from the durations counted in DuckDB; a row without the event is
    censored at the month end."""
    days = DAYS.format(a="created_at", b=f"coalesce({event}, {sql_timestamp(fd.end)})")
    counts = fd.sql(
        f"""SELECT {days} AS days, {event} IS NOT NULL AS done, count(*) AS n FROM {table}
        WHERE created_at >= {sql_timestamp(fd.window_start)} GROUP BY ALL ORDER BY ALL"""
    )
    return kaplan_meier(counts["days"], counts["done"], counts["n"])


def time_to_close(fd: FunnelData) -> pd.DataFrame:
    """Kaplan-Meier curve of days from creation to close (won or lost) for deals created in the last
    12 months; deals still open at the month end are censored there."""
    return _survival(fd, "f_deals", "closed_at")


def time_to_convert(fd: FunnelData) -> pd.DataFrame:
    """Kaplan-Meier curve of days from lead creation to conversion for leads created in the last
    12 months; unconverted leads are censored at the month end."""
    if not fd.tables.has_leads:
        return pd.DataFrame(columns=["t", "at_risk", "events", "censored", "survival"])
    return _survival(fd, "f_leads", "converted_at")
