"""The lead funnel: created, qualified, converted, and conversion by lead-score decile."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.funnel.estimators import with_ci
from funnel_pandas.inputs import DAY, FunnelData

__all__ = ["lead_funnel", "lead_score_deciles"]


def lead_funnel(fd: FunnelData) -> pd.DataFrame:
    """Leads created in the last 12 months: created, qualified, converted (by the month end), with
    rates over created and Wilson intervals. Columns: step, n, rate, ci_low, ci_high, median_days."""
    cols = ["step", "n", "created", "rate", "ci_low", "ci_high", "median_days"]
    if fd.leads is None:
        return pd.DataFrame(columns=cols)
    ld = fd.leads[fd.leads["created_at"] >= fd.window_start]
    n = len(ld)
    days_q = (ld["qualified_at"] - ld["created_at"]) / DAY
    days_c = (ld["converted_at"] - ld["created_at"]) / DAY
    frame = pd.DataFrame(
        {
            "step": ["created", "qualified", "converted"],
            "n": [n, int(ld["qualified_at"].notna().sum()), int(ld["converted_at"].notna().sum())],
            "created": [n, n, n],
            "median_days": [np.nan, days_q.median(), days_c.median()],
        }
    )
    return with_ci(frame, "n", "created")[cols]


def lead_score_deciles(fd: FunnelData) -> pd.DataFrame:
    """Conversion by lead-score decile, for scored leads created in the last 12 months.
    Columns: decile (1 = lowest scores), score_min, score_max, leads, converted, rate, ci_low, ci_high."""
    cols = ["decile", "score_min", "score_max", "leads", "converted", "rate", "ci_low", "ci_high"]
    if fd.leads is None:
        return pd.DataFrame(columns=cols)
    ld = fd.leads[(fd.leads["created_at"] >= fd.window_start) & fd.leads["lead_score"].notna()]
    if len(ld) < 10:
        return pd.DataFrame(columns=cols)
    ld = ld.sort_values(["lead_score", "lead_id"], kind="stable")  # ties by lead id
    decile = pd.qcut(ld["lead_score"].rank(method="first"), 10, labels=False) + 1
    frame = (
        ld.assign(decile=decile, conv=ld["converted_at"].notna().astype(int))
        .groupby("decile", as_index=False)
        .agg(
            score_min=("lead_score", "min"),
            score_max=("lead_score", "max"),
            leads=("conv", "size"),
            converted=("conv", "sum"),
        )
    )
    return with_ci(frame, "converted", "leads")[cols]
