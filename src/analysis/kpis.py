"""KPI definitions: one registry entry per KPI, computed per company, team or rep and month.

The computation has two steps, so every level shares one implementation:
1. additive *components* per rep and month (sums and counts: revenue, deals won, quota, ...);
2. roll the components up to the requested level by summing, then derive the ratios.
A ratio whose denominator is zero or missing is NaN in frames and null in JSON, never 0 or inf.

Month M is [first day of M, first day of M+1) in the dataset's local time; a KPI of M uses only
events stamped before the end of M.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.io import Dataset
from analysis.months import month_end, month_range, month_start

__all__ = ["KPI", "KPIS", "Level", "rep_month_components", "kpi_table", "kpis_for", "scope_reps"]

Level = Literal["company", "team", "rep"]


@dataclass(frozen=True)
class KPI:
    key: str
    label_en: str
    label_th: str
    unit: Literal["currency", "ratio", "count", "currency_per_day", "days", "score"]
    higher_is_better: bool
    formula: str
    family: str


KPIS: dict[str, KPI] = {
    k.key: k
    for k in [
        KPI(
            "revenue",
            "Revenue (won)",
            "รายได้จากดีลที่ปิดได้",
            "currency",
            True,
            "sum of amount of opportunities with stage closed_won and closed_at in M",
            "revenue_growth",
        ),
        KPI(
            "quota",
            "Quota",
            "เป้าหมายยอดขาย",
            "currency",
            True,
            "sum of quota_amount for M",
            "ae_performance",
        ),
        KPI(
            "quota_attainment",
            "Quota attainment",
            "การบรรลุเป้าหมาย",
            "ratio",
            True,
            "revenue / quota",
            "ae_performance",
        ),
        KPI(
            "deals_won",
            "Deals won",
            "ดีลที่ปิดได้",
            "count",
            True,
            "count of closed_won with closed_at in M",
            "ae_performance",
        ),
        KPI(
            "deals_lost",
            "Deals lost",
            "ดีลที่เสีย",
            "count",
            False,
            "count of closed_lost with closed_at in M",
            "ae_performance",
        ),
        KPI(
            "win_rate",
            "Win rate",
            "อัตราการปิดการขาย",
            "ratio",
            True,
            "deals_won / (deals_won + deals_lost)",
            "ae_performance",
        ),
        KPI(
            "avg_deal_size",
            "Average deal size",
            "มูลค่าดีลเฉลี่ย",
            "currency",
            True,
            "revenue / deals_won",
            "ae_performance",
        ),
    ]
}

_COMPONENTS = ["revenue", "deals_won", "deals_lost", "quota"]


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den, NaN where den is 0 or missing."""
    den = den.astype("float64")
    return (num.astype("float64") / den.where(den > 0)).astype("float64")


def rep_month_components(ds: Dataset, months: Sequence[pd.Period]) -> pd.DataFrame:
    """Additive KPI components per (rep_id, month) for reps active in each month or with events.

    Columns: rep_id, team_id, month, revenue, deals_won, deals_lost, quota (NaN: no quota row).
    """
    months = list(months)
    first, last = month_start(months[0]), month_end(months[-1])
    reps = ds["reps"]
    frames = []

    opps = ds["opportunities"]
    closed = opps[opps["closed_at"].ge(first) & opps["closed_at"].lt(last)]
    closed = closed.assign(month=closed["closed_at"].dt.to_period("M"))
    won = closed["stage"].eq("closed_won")
    frames.append(
        closed.assign(
            revenue=closed["amount"].where(won, 0.0),
            deals_won=won.astype("int64"),
            deals_lost=closed["stage"].eq("closed_lost").astype("int64"),
        )
        .groupby(["rep_id", "month"], observed=True)[["revenue", "deals_won", "deals_lost"]]
        .sum()
    )
    if ds.has("quotas"):
        q = ds["quotas"]
        q = q[q["month"].isin(months)]
        frames.append(
            q.groupby(["rep_id", "month"])[["quota_amount"]]
            .sum()
            .rename(columns={"quota_amount": "quota"})
        )

    # every rep active in a month gets a row, even with no events (zero revenue is a fact)
    grid = pd.MultiIndex.from_tuples(
        [
            (r.rep_id, m)
            for r in reps.itertuples()
            for m in months
            if r.hire_date < month_end(m)
            and (pd.isna(r.left_date) or r.left_date >= month_start(m))
        ],
        names=["rep_id", "month"],
    )
    out = pd.concat(frames, axis=1) if frames else pd.DataFrame()
    out = out.reindex(out.index.union(grid)) if len(out) else pd.DataFrame(index=grid)
    for col in ("revenue", "deals_won", "deals_lost"):
        out[col] = out[col].fillna(0) if col in out else 0
    out["deals_won"] = out["deals_won"].astype("int64")
    out["deals_lost"] = out["deals_lost"].astype("int64")
    if "quota" not in out:
        out["quota"] = np.nan
    out = out.reset_index()
    out["team_id"] = out["rep_id"].map(reps.set_index("rep_id")["team_id"])
    return out[["rep_id", "team_id", "month", *_COMPONENTS]]


def _derive(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["quota_attainment"] = _ratio(frame["revenue"], frame["quota"])
    frame["win_rate"] = _ratio(frame["deals_won"], frame["deals_won"] + frame["deals_lost"])
    frame["avg_deal_size"] = _ratio(frame["revenue"], frame["deals_won"])
    return frame


def kpi_table(
    ds: Dataset,
    months: Sequence[pd.Period] | None = None,
    *,
    level: Level = "team",
) -> pd.DataFrame:
    """Tidy KPI table: one row per scope and month, one column per KPI in `KPIS`.

    `months` defaults to every month up to the latest complete one. Columns: level, scope_id,
    month, then the KPI keys. Team rows exist for every team in `teams`, even with no reps.

    >>> kpi_table(ds, [pd.Period("2026-10", "M")], level="company")  # doctest: +SKIP
    """
    if months is None:
        opps = ds["opportunities"]
        months = month_range(opps["created_at"].min().to_period("M"), ds.latest_complete_month)
    months = list(months)
    comp = rep_month_components(ds, months)
    # quota sums must stay NaN when no rep in the scope has a quota row
    agg = {c: (lambda s: s.sum(min_count=1)) if c == "quota" else "sum" for c in _COMPONENTS}
    if level == "rep":
        frame = comp.rename(columns={"rep_id": "scope_id"}).drop(columns="team_id")
    elif level == "team":
        grid = pd.MultiIndex.from_product(
            [ds["teams"]["team_id"], months], names=["team_id", "month"]
        )
        frame = comp.groupby(["team_id", "month"]).agg(agg).reindex(grid)
        frame[["revenue", "deals_won", "deals_lost"]] = frame[
            ["revenue", "deals_won", "deals_lost"]
        ].fillna(0)
        frame = frame.reset_index().rename(columns={"team_id": "scope_id"})
    elif level == "company":
        frame = comp.groupby("month").agg(agg).reindex(months)
        frame[["revenue", "deals_won", "deals_lost"]] = frame[
            ["revenue", "deals_won", "deals_lost"]
        ].fillna(0)
        frame = frame.rename_axis("month").reset_index().assign(scope_id="company")
    else:
        raise ValueError(f"level: {level!r} is not one of company, team, rep")
    frame["deals_won"] = frame["deals_won"].astype("int64")
    frame["deals_lost"] = frame["deals_lost"].astype("int64")
    frame = _derive(frame).assign(level=level)
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
        table = kpi_table(ds, [month], level="rep")
        row = table[table["scope_id"].eq(rep)]
        if row.empty:  # not active that month and no events: every count is 0
            row = _derive(
                pd.DataFrame([{"revenue": 0.0, "deals_won": 0, "deals_lost": 0, "quota": np.nan}])
            )
    elif team is not None:
        scope_reps(ds, team)  # validates the id
        table = kpi_table(ds, [month], level="team")
        row = table[table["scope_id"].eq(team)]
    else:
        row = kpi_table(ds, [month], level="company")
    values = row.iloc[0]
    return {k: _plain(values[k]) for k in KPIS}


def _plain(value) -> float | int | None:
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or pd.isna(value):
        return None
    if isinstance(value, np.integer | int):
        return int(value)
    return float(value)
