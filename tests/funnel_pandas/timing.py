"""Time: days in each stage, cycle lengths, time to close and lead time to conversion."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.funnel.estimators import kaplan_meier
from funnel_pandas.conversion import closed_in_window
from funnel_pandas.inputs import DAY, FunnelData

__all__ = ["time_in_stage", "cycle_lengths", "time_to_close", "time_to_convert"]


def time_in_stage(fd: FunnelData) -> pd.DataFrame:
    """Days spent in each open stage, for stays that ended in the last 12 months.
    Columns: stage, n, median_days, p80_days."""
    cols = ["stage", "n", "median_days", "p80_days"]
    if fd.history is None or fd.history.empty:
        return pd.DataFrame(columns=cols)
    h = fd.history
    left_at = h.groupby("opportunity_id")["entered_at"].shift(-1)
    stays = h.assign(days=(left_at - h["entered_at"]) / DAY)
    stays = stays[stays["stage"].isin(fd.stages) & left_at.notna() & (left_at >= fd.window_start)]
    rows = [
        {
            "stage": s,
            "n": int(len(g)),
            "median_days": float(g["days"].median()) if len(g) else np.nan,
            "p80_days": float(g["days"].quantile(0.8)) if len(g) else np.nan,
        }
        for s, g in ((s, stays[stays["stage"].eq(s)]) for s in fd.stages)
    ]
    return pd.DataFrame(rows, columns=cols)


def cycle_lengths(fd: FunnelData) -> pd.DataFrame:
    """Sales cycle (days from creation to close) of each deal closed in the last 12 months.
    Columns: opportunity_id, outcome (won/lost), days."""
    closed = closed_in_window(fd)
    return pd.DataFrame(
        {
            "opportunity_id": closed["opportunity_id"],
            "outcome": np.where(closed["stage"].eq("closed_won"), "won", "lost"),
            "days": (closed["closed_at"] - closed["created_at"]) / DAY,
        }
    ).reset_index(drop=True)


def time_to_close(fd: FunnelData) -> pd.DataFrame:
    """Kaplan-Meier curve of days from creation to close (won or lost) for deals created in the last
    12 months; deals still open at the month end are censored there."""
    o = fd.opps[fd.opps["created_at"] >= fd.window_start]
    closed = o["closed_at"].notna()
    days = (o["closed_at"].where(closed, fd.end) - o["created_at"]) / DAY
    return kaplan_meier(days, closed)


def time_to_convert(fd: FunnelData) -> pd.DataFrame:
    """Kaplan-Meier curve of days from lead creation to conversion for leads created in the last
    12 months; unconverted leads are censored at the month end."""
    if fd.leads is None:
        return pd.DataFrame(columns=["t", "at_risk", "events", "censored", "survival"])
    ld = fd.leads[fd.leads["created_at"] >= fd.window_start]
    done = ld["converted_at"].notna()
    days = (ld["converted_at"].where(done, fd.end) - ld["created_at"]) / DAY
    return kaplan_meier(days, done)
