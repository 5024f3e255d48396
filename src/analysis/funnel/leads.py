"""The lead funnel: created, qualified, converted, and conversion by lead-score decile, summed in
DuckDB over the scope's leads (`inputs.FunnelTables`)."""

from __future__ import annotations

import pandas as pd

from analysis.data.engine import sql_timestamp
from analysis.funnel.estimators import with_ci
from analysis.funnel.inputs import DAYS, FunnelData

__all__ = ["lead_funnel", "lead_score_deciles"]


def lead_funnel(fd: FunnelData) -> pd.DataFrame:
    """Leads created in the last 12 months: created, qualified, converted (by the month end), with
    rates over created and Wilson intervals. Columns: step, n, rate, ci_low, ci_high, median_days."""
    cols = ["step", "n", "created", "rate", "ci_low", "ci_high", "median_days"]
    if not fd.tables.has_leads:
        return pd.DataFrame(columns=cols)
    q, c = (
        DAYS.format(a="created_at", b="qualified_at"),
        DAYS.format(a="created_at", b="converted_at"),
    )
    row = fd.sql(
        f"""SELECT count(*) AS n, count(qualified_at) AS qualified,
            count(converted_at) AS converted, quantile_cont({q}, 0.5) AS days_q,
            quantile_cont({c}, 0.5) AS days_c
        FROM f_leads WHERE created_at >= {sql_timestamp(fd.window_start)}"""
    ).iloc[0]
    n = int(row["n"])
    frame = pd.DataFrame(
        {
            "step": ["created", "qualified", "converted"],
            "n": [n, int(row["qualified"]), int(row["converted"])],
            "created": [n, n, n],
            "median_days": [float("nan"), *(float(row[k]) for k in ("days_q", "days_c"))],
        }
    )
    return with_ci(frame, "n", "created")[cols]


def lead_score_deciles(fd: FunnelData) -> pd.DataFrame:
    """Conversion by lead-score decile, for scored leads created in the last 12 months: the leads
    ranked by score (ties by lead id) and cut into ten groups of equal rank range, as
    `pandas.qcut` cuts the ranks. Columns: decile (1 = lowest scores), score_min, score_max, leads,
    converted, rate, ci_low, ci_high."""
    cols = ["decile", "score_min", "score_max", "leads", "converted", "rate", "ci_low", "ci_high"]
    if not fd.tables.has_leads:
        return pd.DataFrame(columns=cols)
    # rank r of n in decile 1 + #{j in 1..9: r > 1 + j (n - 1) / 10}, in integers
    frame = fd.sql(
        f"""WITH l AS (
            SELECT lead_score, converted_at IS NOT NULL AS conv,
                row_number() OVER (ORDER BY lead_score, lead_id) AS r, count(*) OVER () AS n
            FROM f_leads
            WHERE created_at >= {sql_timestamp(fd.window_start)} AND lead_score IS NOT NULL)
        SELECT 1 + least(9, greatest(0, ((r - 1) * 10 - 1) // (n - 1))) AS decile,
            min(lead_score) AS score_min, max(lead_score) AS score_max, count(*) AS leads,
            count(*) FILTER (WHERE conv) AS converted, any_value(n) AS total
        FROM l WHERE n >= 10 GROUP BY ALL ORDER BY decile"""
    )
    if frame.empty:
        return pd.DataFrame(columns=cols)
    frame = frame.astype({"decile": "int64", "score_min": "float64", "score_max": "float64"})
    return with_ci(frame, "converted", "leads")[cols]
