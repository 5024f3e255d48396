"""What a manager coaches from: league table, attainment distribution, coaching levers, targets.

All numbers come from `kpis.kpi_table`; this module only ranks, compares and classifies them.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from analysis.data.dataset import Dataset
from analysis.metrics.kpis import KPIS, kpi_table, scope_reps

__all__ = [
    "AMBER_BAND",
    "RAG_COLORS",
    "rag_cell_attributes",
    "rag_class",
    "RAG_RULE",
    "TENURE_BUCKETS",
    "Status",
    "attainment_distribution",
    "coaching_view",
    "league_table",
    "rag_status",
    "scorecard",
]

Status = Literal["green", "amber", "red"]
AMBER_BAND = 0.10
# the tint of a status cell in every table (HTML, PDF and JupyterLab); cells also carry the class
# rag_class(status), which the PDF renderer maps back to these fills
RAG_COLORS: dict[str, str] = {"green": "#d7f0dd", "amber": "#fcebc5", "red": "#f8d4d0"}
RAG_RULE = (
    "green: at or better than target; amber: worse, but within 10% of the target; "
    "red: further off. 'Better' follows each KPI's direction (higher or lower is better)."
)
TENURE_BUCKETS = [
    (0, 2, "0-2 months"),
    (3, 5, "3-5 months"),
    (6, 11, "6-11 months"),
    (12, 10_000, "12+ months"),
]
LEVERS = ("open_opportunities", "win_rate", "avg_deal_size", "avg_sales_cycle_days")


def rag_class(status: str | None) -> str:
    """The CSS class of a cell with this status ('' for none): rag-green, rag-amber, rag-red."""
    return f"rag-{status}" if status in RAG_COLORS else ""


def rag_cell_attributes(status: str | None) -> str:
    """The attributes of an HTML cell with this status: its class and its tint ('' for none).

    >>> rag_cell_attributes("red")
    ' class="rag-red" style="background-color: #f8d4d0"'
    """
    if status not in RAG_COLORS:
        return ""
    return f' class="{rag_class(status)}" style="background-color: {RAG_COLORS[status]}"'


def rag_status(
    value: float | None, target: float | None, higher_is_better: bool, band: float = AMBER_BAND
) -> Status | None:
    """Red/amber/green of `value` against `target` (see RAG_RULE); None when either is missing.

    >>> rag_status(0.23, 0.25, True)
    'amber'
    >>> rag_status(0.05, 0.02, False)
    'red'
    """
    if value is None or target is None or pd.isna(value) or pd.isna(target):
        return None
    slack = abs(target) * band
    if higher_is_better:
        return "green" if value >= target else "amber" if value >= target - slack else "red"
    return "green" if value <= target else "amber" if value <= target + slack else "red"


def _rep_rows(ds: Dataset, months: list[pd.Period], team: str | None) -> pd.DataFrame:
    reps = scope_reps(ds, team)
    table = kpi_table(ds, months, level="rep")
    table = table[table["scope_id"].isin(reps["rep_id"])]
    return table.merge(
        reps[["rep_id", "rep_name", "team_id", "hire_date"]], left_on="scope_id", right_on="rep_id"
    )


def league_table(ds: Dataset, month: pd.Period, team: str | None = None) -> pd.DataFrame:
    """Reps ranked by quota attainment (ties: revenue), with last month's rank and the team median.

    Columns: rank, rep_id, rep_name, team_id, revenue, quota, quota_attainment, deals_won, win_rate,
    rank_last_month, rank_change (positive = moved up), attainment_vs_team_median (difference in
    attainment from the median of the rep's team this month). Reps without a quota are listed last,
    unranked.
    """
    rows = _rep_rows(ds, [month - 1, month], team)

    def ranked(frame: pd.DataFrame) -> pd.Series:
        order = frame.sort_values(
            ["quota_attainment", "revenue"], ascending=False, na_position="last"
        )
        rank = pd.Series(np.arange(1, len(order) + 1, dtype="float64"), index=order["rep_id"])
        return rank.where(order.set_index("rep_id")["quota_attainment"].notna())

    now = rows[rows["month"].eq(month)].copy()
    before = rows[rows["month"].eq(month - 1)]
    now["rank"] = now["rep_id"].map(ranked(now))
    now["rank_last_month"] = now["rep_id"].map(ranked(before))
    now["rank_change"] = now["rank_last_month"] - now["rank"]
    team_median = now.groupby("team_id")["quota_attainment"].median()
    now["attainment_vs_team_median"] = now["quota_attainment"] - now["team_id"].map(team_median)
    cols = [
        "rank",
        "rep_id",
        "rep_name",
        "team_id",
        "revenue",
        "quota",
        "quota_attainment",
        "deals_won",
        "win_rate",
        "rank_last_month",
        "rank_change",
        "attainment_vs_team_median",
    ]
    return now.sort_values(["rank", "revenue"], ascending=[True, False], na_position="last")[
        cols
    ].reset_index(drop=True)


def attainment_distribution(
    ds: Dataset, month: pd.Period, team: str | None = None
) -> dict[str, float | int | None]:
    """Quota attainment across reps with a quota: how many, share at or above 100%, quartiles."""
    rows = _rep_rows(ds, [month], team)
    values = rows["quota_attainment"].dropna()
    if values.empty:
        return {
            "n_reps": 0,
            "n_at_or_above_quota": 0,
            "share_at_or_above_quota": None,
            "p25": None,
            "median": None,
            "p75": None,
        }
    return {
        "n_reps": int(len(values)),
        "n_at_or_above_quota": int((values >= 1).sum()),
        "share_at_or_above_quota": float((values >= 1).mean()),
        "p25": float(values.quantile(0.25)),
        "median": float(values.median()),
        "p75": float(values.quantile(0.75)),
    }


def _tenure_bucket(months_since_hire: pd.Series) -> pd.Series:
    out = pd.Series(pd.NA, index=months_since_hire.index, dtype="object")
    for lo, hi, label in TENURE_BUCKETS:
        out[months_since_hire.between(lo, hi)] = label
    return out


def coaching_view(
    ds: Dataset,
    month: pd.Period,
    team: str | None = None,
    *,
    lookback: int = 3,
    min_closed: int = 10,
) -> pd.DataFrame:
    """Per rep: the pipeline-velocity lever that lags the team most, ramp-adjusted attainment, coverage.

    Levers (over the last `lookback` months, so one lumpy month does not dominate): open
    opportunities at the end of `month`, win rate, average deal size, sales cycle. Each is compared
    with the median of the rep's team as a ratio where 1 = team median and below 1 = behind (the
    cycle ratio is inverted: a longer cycle is behind). `weakest_lever` is the lowest ratio;
    `small_sample` flags fewer than `min_closed` closed deals in the window, where the rates are
    too noisy to coach from.

    Ramp: `ramp_adjusted_attainment` = the rep's attainment / the median attainment of all reps at
    the same tenure (0-2, 3-5, 6-11, 12+ months since hire) over the last 12 months.
    Coverage: `required_coverage` = 1 / win rate (pipeline needed per unit of quota at the rep's
    win rate) against `pipeline_coverage` (open pipeline due in the next 3 months / their quota).
    """
    window = list(pd.period_range(month - (lookback - 1), month, freq="M"))
    history = list(pd.period_range(month - 11, month, freq="M"))
    all_reps = _rep_rows(ds, history, None)
    all_reps["tenure"] = [
        (m - h.to_period("M")).n
        for m, h in zip(all_reps["month"], all_reps["hire_date"], strict=True)
    ]
    all_reps["tenure_bucket"] = _tenure_bucket(all_reps["tenure"])
    typical = all_reps.groupby("tenure_bucket")["quota_attainment"].median()

    in_scope = set(scope_reps(ds, team)["rep_id"])
    win = all_reps[all_reps["month"].isin(window) & all_reps["rep_id"].isin(in_scope)]
    g = win.assign(cycle_x_won=win["avg_sales_cycle_days"].fillna(0) * win["deals_won"]).groupby(
        "rep_id"
    )
    agg = g.agg(
        rep_name=("rep_name", "first"),
        team_id=("team_id", "first"),
        revenue=("revenue", "sum"),
        deals_won=("deals_won", "sum"),
        deals_lost=("deals_lost", "sum"),
        cycle_x_won=("cycle_x_won", "sum"),
    )
    closed = agg["deals_won"] + agg["deals_lost"]
    agg["closed_deals"] = closed
    agg["win_rate"] = agg["deals_won"] / closed.where(closed > 0)
    agg["avg_deal_size"] = agg["revenue"] / agg["deals_won"].where(agg["deals_won"] > 0)
    agg["avg_sales_cycle_days"] = agg["cycle_x_won"] / agg["deals_won"].where(agg["deals_won"] > 0)
    now = win[win["month"].eq(month)].set_index("rep_id")
    agg = agg[agg.index.isin(now.index)]
    for col in (
        "open_opportunities",
        "quota_attainment",
        "pipeline_coverage",
        "tenure",
        "tenure_bucket",
    ):
        agg[col] = now[col].reindex(agg.index)

    medians = agg.groupby("team_id")[list(LEVERS)].median()
    ratios = pd.DataFrame(index=agg.index)
    for lever in LEVERS:
        team_median = agg["team_id"].map(medians[lever])
        if lever == "avg_sales_cycle_days":
            ratios[lever] = team_median / agg[lever].where(agg[lever] > 0)
        else:
            ratios[lever] = agg[lever] / team_median.where(team_median > 0)
    agg = agg.join(ratios.add_suffix("_vs_team"))
    # a rep with no comparable lever (every ratio missing: no wins, no open deals) has no weakest
    comparable = ratios.notna().any(axis=1)
    agg["weakest_lever"] = pd.Series(pd.NA, index=ratios.index, dtype="object")
    if comparable.any():
        agg.loc[comparable, "weakest_lever"] = ratios[comparable].idxmin(axis=1, skipna=True)
    agg["small_sample"] = agg["closed_deals"] < min_closed
    reference = agg["tenure_bucket"].map(typical).astype("float64")
    agg["ramp_adjusted_attainment"] = agg["quota_attainment"] / reference.where(reference > 0)
    agg["required_coverage"] = 1 / agg["win_rate"].where(agg["win_rate"] > 0)
    agg["coverage_gap"] = agg["pipeline_coverage"] - agg["required_coverage"]
    cols = [
        "rep_name",
        "team_id",
        "closed_deals",
        "small_sample",
        *LEVERS,
        *[f"{lv}_vs_team" for lv in LEVERS],
        "weakest_lever",
        "tenure",
        "quota_attainment",
        "ramp_adjusted_attainment",
        "required_coverage",
        "pipeline_coverage",
        "coverage_gap",
    ]
    return agg[cols].reset_index().sort_values("rep_name", ignore_index=True)


def scorecard(
    ds: Dataset,
    month: pd.Period,
    team: str | None = None,
    targets: dict[str, float] | None = None,
    keys: list[str] | None = None,
) -> pd.DataFrame:
    """KPI scorecard of a team (or the company): value, last month, target and red/amber/green status.

    Columns: kpi, family, value, last_month, target, status.
    """
    targets = targets or {}
    level = "company" if team is None else "team"
    table = kpi_table(ds, [month - 1, month], level=level)
    if team is not None:
        scope_reps(ds, team)
        table = table[table["scope_id"].eq(team)]
    now = table[table["month"].eq(month)].iloc[0]
    before = table[table["month"].eq(month - 1)].iloc[0]
    rows = []
    for key in keys or list(KPIS):
        kpi = KPIS[key]
        value = None if pd.isna(now[key]) else float(now[key])
        target = targets.get(key)
        rows.append(
            {
                "kpi": key,
                "family": kpi.family,
                "value": value,
                "last_month": None if pd.isna(before[key]) else float(before[key]),
                "target": target,
                "status": rag_status(value, target, kpi.higher_is_better),
            }
        )
    return pd.DataFrame(rows)
