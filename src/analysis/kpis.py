"""Every KPI of the Account Executive Manager role, per company, team or rep and month.

The definitions (labels, units, direction, formulas) are the registry in `analysis.kpi_defs`;
this module is their one implementation, shared by the CLI, the notebooks and the reports.

Rules that hold for every KPI:
- Month M is the half-open interval [first day of M, first day of M+1) in the dataset's local time.
- As of: the value for M uses only events stamped before the end of M (a property test truncates
  the data at the end of M and checks that nothing changes). Quotas of later months are plans.
- Scope: a rep's events are those with its rep_id; a team is its reps; the company is every rep.
  Tickets without a rep and account-level tables (revenue, accounts) belong to the account owner.
- A ratio with a zero or missing denominator is NaN here and null in JSON, never 0 or infinity.
- A KPI whose table is absent is NaN, and `missing_kpis` says why.

How: vectorised pandas on event rows keyed by (scope_id, month ordinal). Stocks at a month's end
(open pipeline, accounts owned, active reps, training assignments) expand each row into the months
it is alive in; latest skill scores use an as-of merge. No Python loop runs per month.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from analysis import cache
from analysis.contract import SKILLS
from analysis.io import Dataset
from analysis.kpi_defs import FAMILIES, KPI, KPIS, kpi_markdown
from analysis.months import month_end, month_range, month_start

__all__ = [
    "open_pipeline",
    "KPI",
    "KPIS",
    "FAMILIES",
    "Level",
    "kpi_table",
    "shared_kpi_table",
    "kpis_for",
    "missing_kpis",
    "active_reps",
    "scope_reps",
    "kpi_markdown",
]

Level = Literal["company", "team", "rep"]

_ZERO_WHEN_EMPTY = {k for k, v in KPIS.items() if v.unit == "count"} | {
    "revenue",
    "open_pipeline_amount",
    "expansion_revenue",
}
_DAY = pd.Timedelta(days=1)
_NEVER = np.iinfo(np.int64).max // 2


def _ord(times: pd.Series) -> np.ndarray:
    """Monthly Period ordinals of timestamps (months since 1970-01); NaT -> _NEVER."""
    ords = (times.dt.year - 1970) * 12 + times.dt.month - 1
    return ords.fillna(_NEVER).astype("int64").to_numpy()


def _ord_period(periods: pd.Series) -> np.ndarray:
    return (
        np.array([p.ordinal for p in periods], dtype="int64")
        if len(periods)
        else np.array([], "int64")
    )


class _Scope:
    """Maps rep ids to the scope ids of one level."""

    def __init__(self, ds: Dataset, level: Level):
        if level not in ("company", "team", "rep"):
            raise ValueError(f"level: {level!r} is not one of company, team, rep")
        self.level = level
        self.rep_team = ds["reps"].set_index("rep_id")["team_id"]

    def key(self, rep_ids: pd.Series) -> np.ndarray:
        if self.level == "company":
            return np.full(len(rep_ids), "company", dtype=object)
        if self.level == "team":
            return rep_ids.map(self.rep_team).to_numpy(dtype=object)
        return rep_ids.to_numpy(dtype=object)


def active_reps(reps: pd.DataFrame, month: pd.Period) -> pd.DataFrame:
    """Reps active in `month`: hired before its end and not left before its start."""
    hired = reps["hire_date"] < month_end(month)
    stayed = reps["left_date"].isna() | (reps["left_date"] >= month_start(month))
    return reps[hired & stayed]


def _group(scope, month, values, how: str, mask=None) -> pd.Series:
    """Aggregate `values` by (scope_id, month ordinal) over the rows in `mask`."""
    scope, month = np.asarray(scope, dtype=object), np.asarray(month)
    values = np.broadcast_to(np.asarray(values, dtype="float64"), month.shape)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        scope, month, values = scope[mask], month[mask], values[mask]
    frame = pd.DataFrame({"scope_id": scope, "month": month, "v": values})
    frame = frame[pd.notna(frame["scope_id"])]
    return frame.groupby(["scope_id", "month"], sort=False)["v"].agg(how)


def _expand(start: np.ndarray, stop: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, month) pairs for each row alive in months [start, stop] clipped to [lo, hi]."""
    s, e = np.maximum(start, lo), np.minimum(stop, hi)
    n = np.clip(e - s + 1, 0, None)
    rows = np.repeat(np.arange(len(s)), n)
    offsets = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return rows, s[rows] + offsets


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num, den = num.astype("float64").align(den.astype("float64"), join="outer")
    return num / den.where(den > 0)


def _open_at_month_end(ds: Dataset, lo: int, hi: int):
    """Deals open at the end of each month in [lo, hi] (ordinals), with their amount and due month.

    Open at the end of M: created before it and not closed by then, i.e. alive in months
    [created, closed - 1]. Amount and expected close date are as the latest snapshot before the
    end of M recorded them when the dataset has `opportunity_snapshots` (else, or for a deal with
    no snapshot yet, the current values). Returns (row positions in opportunities, month
    ordinals, amounts, expected-close month ordinals).
    """
    opps = ds["opportunities"]
    closed_m = _ord(opps["closed_at"])
    rows, month = _expand(
        _ord(opps["created_at"]), np.where(closed_m == _NEVER, hi, closed_m - 1), lo, hi
    )
    amount = opps["amount"].to_numpy()[rows]
    due = _ord(opps["expected_close_date"])[rows]
    if ds.has("opportunity_snapshots") and len(rows):
        snaps = ds["opportunity_snapshots"].sort_values("snapshot_date", kind="stable")
        left = pd.DataFrame(
            {
                "opportunity_id": opps["opportunity_id"].to_numpy()[rows],
                "end": pd.PeriodIndex.from_ordinals(month + 1, freq="M").start_time,
                "i": np.arange(len(rows)),
            }
        ).sort_values("end", kind="stable")
        seen = pd.merge_asof(
            left,
            snaps[["snapshot_date", "opportunity_id", "amount", "expected_close_date"]],
            left_on="end",
            right_on="snapshot_date",
            by="opportunity_id",
            allow_exact_matches=False,
        ).sort_values("i")
        has = seen["snapshot_date"].notna().to_numpy()
        amount = np.where(has, seen["amount"].to_numpy(), amount)
        due = np.where(has, _ord(seen["expected_close_date"]), due)
    return rows, month, amount, due


def open_pipeline(ds: Dataset, months: Sequence[pd.Period]) -> pd.DataFrame:
    """One row per deal open at the end of each month: opportunity_id, rep_id, month, amount,
    expected_close_month — the rows the open-pipeline KPIs and the funnel waterfall both sum."""
    ords = np.array(sorted({pd.Period(m, "M").ordinal for m in months}), dtype="int64")
    rows, month, amount, due = _open_at_month_end(ds, int(ords.min()), int(ords.max()))
    keep = np.isin(month, ords)
    opps = ds["opportunities"]
    return pd.DataFrame(
        {
            "opportunity_id": opps["opportunity_id"].to_numpy()[rows][keep],
            "rep_id": opps["rep_id"].to_numpy()[rows][keep],
            "month": pd.PeriodIndex.from_ordinals(month[keep], freq="M"),
            "amount": amount[keep],
            "expected_close_month": pd.PeriodIndex.from_ordinals(due[keep], freq="M"),
        }
    )


def _opportunity_kpis(ds: Dataset, months: np.ndarray, sc: _Scope) -> dict[str, pd.Series]:
    opps = ds["opportunities"]
    lo, hi = int(months.min()), int(months.max())
    key = sc.key(opps["rep_id"])
    closed_m, created_m = _ord(opps["closed_at"]), _ord(opps["created_at"])
    in_range = np.isin(closed_m, months)
    won = (opps["stage"].eq("closed_won") & opps["closed_at"].notna()).to_numpy()
    lost = (opps["stage"].eq("closed_lost") & opps["closed_at"].notna()).to_numpy()
    expansion = opps["deal_type"].isin(["upsell", "cross_sell"]).to_numpy()
    amount = opps["amount"].to_numpy()
    cycle = ((opps["closed_at"] - opps["created_at"]) / _DAY).to_numpy()
    w, lo_ = in_range & won, in_range & lost
    out: dict[str, pd.Series] = {
        "revenue": _group(key, closed_m, amount, "sum", w),
        "deals_won": _group(key, closed_m, 1, "sum", w),
        "deals_lost": _group(key, closed_m, 1, "sum", lo_),
        "expansion_revenue": _group(key, closed_m, amount, "sum", w & expansion),
        "avg_sales_cycle_days": _group(key, closed_m, cycle, "mean", w),
        "median_sales_cycle_days": _group(key, closed_m, cycle, "median", w),
    }
    ex_won = _group(key, closed_m, 1, "sum", w & expansion)
    ex_closed = _group(key, closed_m, 1, "sum", (w | lo_) & expansion)
    out["upsell_cross_sell_win_rate"] = _ratio(
        ex_won.reindex(ex_closed.index, fill_value=0), ex_closed
    )
    # growth needs the revenue of M-1 and M-12, which may lie before `months`
    ext = np.union1d(np.union1d(months, months - 1), months - 12)
    out["_revenue_ext"] = _group(key, closed_m, amount, "sum", np.isin(closed_m, ext) & won)

    first_won = opps[won].groupby("account_id")["closed_at"].min()
    first_won_m = _ord(opps["account_id"].map(first_won))
    existing = np.isin(created_m, months) & (first_won_m < created_m)
    out["existing_account_opportunities"] = _group(key, created_m, 1, "sum", existing)

    rows, month, open_amount, due = _open_at_month_end(ds, lo, hi)
    out["open_pipeline_amount"] = _group(key[rows], month, open_amount, "sum")
    out["open_opportunities"] = _group(key[rows], month, 1, "sum")
    if ds.has("quotas"):
        ahead = (due >= month + 1) & (due <= month + 3)
        pipe = _group(key[rows], month, open_amount, "sum", ahead)
        q = ds["quotas"]
        q_m, q_key = _ord_period(q["month"]), sc.key(q["rep_id"])
        parts = [_group(q_key, q_m - k, q["quota_amount"].to_numpy(), "sum") for k in (1, 2, 3)]
        quota_ahead = pd.concat(parts).groupby(level=[0, 1]).sum()
        out["pipeline_coverage"] = _ratio(
            pipe.reindex(quota_ahead.index, fill_value=0.0), quota_ahead
        )
    return out


def _event_kpis(ds: Dataset, months: np.ndarray, sc: _Scope) -> dict[str, pd.Series]:
    out: dict[str, pd.Series] = {}
    if ds.has("quotas"):
        q = ds["quotas"]
        q_m = _ord_period(q["month"])
        out["quota"] = _group(
            sc.key(q["rep_id"]), q_m, q["quota_amount"].to_numpy(), "sum", np.isin(q_m, months)
        )
    if ds.has("csat"):
        c = ds["csat"]
        m = _ord(c["responded_at"])
        sel, key = np.isin(m, months), sc.key(c["rep_id"])
        out["csat_avg"] = _group(key, m, c["score"].to_numpy(dtype="float64"), "mean", sel)
        out["csat_responses"] = _group(key, m, 1, "sum", sel)
    if ds.has("leads"):
        ld = ds["leads"]
        key = sc.key(ld["rep_id"])
        cm, qm, vm = _ord(ld["created_at"]), _ord(ld["qualified_at"]), _ord(ld["converted_at"])
        created = np.isin(cm, months)
        n_created = _group(key, cm, 1, "sum", created)
        out["leads_created"] = n_created
        out["qualified_leads"] = _group(key, qm, 1, "sum", np.isin(qm, months))
        # "by the end of M" for a lead created in M: its conversion/qualification month is M
        conv = _group(key, cm, 1, "sum", created & (vm == cm))
        out["lead_to_opportunity_rate"] = _ratio(
            conv.reindex(n_created.index, fill_value=0), n_created
        )
        qual = _group(key, cm, 1, "sum", created & (qm == cm))
        out["lead_qualification_rate"] = _ratio(
            qual.reindex(n_created.index, fill_value=0), n_created
        )
        score = ld["lead_score"].to_numpy(dtype="float64")
        out["avg_lead_score"] = _group(key, cm, score, "mean", created & ~np.isnan(score))
        days = ((ld["converted_at"] - ld["created_at"]) / _DAY).to_numpy()
        out["avg_lead_to_opportunity_days"] = _group(key, vm, days, "mean", np.isin(vm, months))
    if ds.has("feedback"):
        f = ds["feedback"]
        m = _ord(f["given_at"])
        sel, key = np.isin(m, months), sc.key(f["rep_id"])
        out["feedback_sessions"] = _group(key, m, 1, "sum", sel)
        out["avg_feedback_quality"] = _group(
            key, m, f["quality_score"].to_numpy(dtype="float64"), "mean", sel
        )
    if ds.has("tickets"):
        t = ds["tickets"]
        rep = t["rep_id"]
        if ds.has("accounts"):
            rep = rep.fillna(
                t["account_id"].map(ds["accounts"].set_index("account_id")["owner_rep_id"])
            )
        key = sc.key(rep)
        om, rm = _ord(t["opened_at"]), _ord(t["resolved_at"])
        osel, rsel = np.isin(om, months), np.isin(rm, months)
        opened, resolved = _group(key, om, 1, "sum", osel), _group(key, rm, 1, "sum", rsel)
        out["tickets_opened"], out["tickets_resolved"] = opened, resolved
        hours = ((t["resolved_at"] - t["opened_at"]) / pd.Timedelta(hours=1)).to_numpy()
        out["median_resolution_hours"] = _group(key, rm, hours, "median", rsel)
        esc = _group(key, om, 1, "sum", osel & t["escalated"].fillna(False).to_numpy(dtype=bool))
        out["escalation_rate"] = _ratio(esc.reindex(opened.index, fill_value=0), opened)
        reo = _group(key, rm, 1, "sum", rsel & t["reopened"].fillna(False).to_numpy(dtype=bool))
        out["reopen_rate"] = _ratio(reo.reindex(resolved.index, fill_value=0), resolved)
    if ds.has("activities"):
        a = ds["activities"]
        m = _ord(a["occurred_at"])
        visit = np.isin(m, months) & a["activity_type"].eq("visit").to_numpy()
        out["visits"] = _group(sc.key(a["rep_id"]), m, 1, "sum", visit)
    return out


def _account_kpis(ds: Dataset, months: np.ndarray, sc: _Scope) -> dict[str, pd.Series]:
    lo, hi = int(months.min()), int(months.max())
    acc = ds["accounts"]
    acc_key, acc_m = sc.key(acc["owner_rep_id"]), _ord(acc["created_date"])
    rows, month = _expand(acc_m, np.full(len(acc), hi), lo, hi)
    out = {"accounts_assigned": _group(acc_key[rows], month, 1, "sum")}
    if ds.has("activities"):
        a = ds["activities"]
        m = _ord(a["occurred_at"])
        sel = np.isin(m, months)
        pairs = pd.DataFrame(
            {"account_id": a["account_id"].to_numpy()[sel], "month": m[sel]}
        ).drop_duplicates()
        info = pd.DataFrame(
            {
                "account_id": acc["account_id"],
                "scope_id": acc_key,
                "created": acc_m,
                "province": acc["province"],
            }
        )
        touched = pairs.merge(info, on="account_id")
        touched = touched[(touched["created"] <= touched["month"]) & touched["scope_id"].notna()]
        g = touched.groupby(["scope_id", "month"], sort=False)
        out["accounts_touched"] = g.size().astype("float64")
        out["provinces_touched"] = g["province"].nunique().astype("float64")
        assigned = out["accounts_assigned"]
        out["account_coverage_rate"] = _ratio(
            out["accounts_touched"].reindex(assigned.index, fill_value=0), assigned
        )
    if ds.has("revenue"):
        rev = ds["revenue"]
        rev = (
            pd.DataFrame(
                {
                    "account_id": rev["account_id"],
                    "month": _ord_period(rev["month"]),
                    "revenue": rev["revenue"],
                }
            )
            .groupby(["account_id", "month"], as_index=False)
            .sum()
        )
        prev = rev.assign(month=rev["month"] + 1).rename(columns={"revenue": "prev"})
        both = prev.merge(rev, on=["account_id", "month"], how="left").fillna({"revenue": 0.0})
        both = both[np.isin(both["month"], months) & (both["prev"] > 0)]
        owner = pd.Series(acc_key, index=acc["account_id"])
        both = both.assign(
            scope_id=both["account_id"].map(owner),
            churned=(both["revenue"] <= 0).astype("float64"),
            kept=np.minimum(both["revenue"], both["prev"]),
        )
        g = both.groupby(["scope_id", "month"])
        out["churned_accounts"] = g["churned"].sum()
        out["customer_churn_rate"] = _ratio(g["churned"].sum(), g.size())
        out["gross_revenue_retention"] = _ratio(g["kept"].sum(), g["prev"].sum())
        out["net_revenue_retention"] = _ratio(g["revenue"].sum(), g["prev"].sum())
    return out


def _active_rep_months(ds: Dataset, months: np.ndarray) -> pd.DataFrame:
    """One row per (rep_id, month ordinal) the rep is active in, within `months`."""
    reps = ds["reps"]
    left = _ord(reps["left_date"])
    rows, month = _expand(
        _ord(reps["hire_date"]),
        np.where(left == _NEVER, months.max(), left),
        int(months.min()),
        int(months.max()),
    )
    keep = np.isin(month, months)  # months need not be contiguous
    return pd.DataFrame({"rep_id": reps["rep_id"].to_numpy()[rows[keep]], "month": month[keep]})


def _people_kpis(
    ds: Dataset, months: np.ndarray, sc: _Scope, active: pd.DataFrame
) -> dict[str, pd.Series]:
    lo, hi = int(months.min()), int(months.max())
    out = {"_active_reps": _group(sc.key(active["rep_id"]), active["month"], 1, "sum")}
    if ds.has("trainings"):
        tr = ds["trainings"]
        key, am, cm = sc.key(tr["rep_id"]), _ord(tr["assigned_at"]), _ord(tr["completed_at"])
        rows, month = _expand(am, np.full(len(tr), hi), lo, hi)
        assigned = _group(key[rows], month, 1, "sum")
        rows, month = _expand(np.maximum(am, cm), np.full(len(tr), hi), lo, hi)
        done = _group(key[rows], month, 1, "sum")
        out["training_completion_rate"] = _ratio(
            done.reindex(assigned.index, fill_value=0), assigned
        )
        out["trainings_completed"] = _group(key, cm, 1, "sum", np.isin(cm, months))
    if ds.has("skill_assessments"):
        sa = ds["skill_assessments"]
        grid = active.assign(
            end=pd.PeriodIndex.from_ordinals(active["month"] + 1, freq="M").start_time
        )
        grid = grid.sort_values("end", kind="stable")
        for skill in SKILLS:
            right = sa[sa["skill"].eq(skill)].sort_values("assessed_at", kind="stable")[
                ["rep_id", "assessed_at", "score"]
            ]
            latest = pd.merge_asof(
                grid,
                right,
                left_on="end",
                right_on="assessed_at",
                by="rep_id",
                allow_exact_matches=False,
            )  # strictly before the end of M
            out[f"avg_skill_score_{skill}"] = _group(
                sc.key(latest["rep_id"]),
                latest["month"],
                latest["score"].to_numpy(dtype="float64"),
                "mean",
                latest["score"].notna().to_numpy(),
            )
    return out


def missing_kpis(ds: Dataset) -> dict[str, str]:
    """KPI key -> why it is null for this dataset (its table is absent)."""
    out = {}
    for key, kpi in KPIS.items():
        absent = [t for t in kpi.requires if not ds.has(t)]
        if absent:
            out[key] = "no " + " / ".join(f"{t} table" for t in absent) + " in the dataset"
    return out


def _grid(ds: Dataset, months: np.ndarray, sc: _Scope, active: pd.DataFrame) -> pd.MultiIndex:
    if sc.level == "company":
        return pd.MultiIndex.from_product([["company"], months], names=["scope_id", "month"])
    if sc.level == "team":
        return pd.MultiIndex.from_product(
            [ds["teams"]["team_id"], months], names=["scope_id", "month"]
        )
    opps = ds["opportunities"]
    closed_m = _ord(opps["closed_at"])
    sel = np.isin(closed_m, months)
    pairs = pd.concat(
        [active, pd.DataFrame({"rep_id": opps["rep_id"].to_numpy()[sel], "month": closed_m[sel]})]
    )
    pairs = pairs.drop_duplicates().sort_values(["rep_id", "month"])
    return pd.MultiIndex.from_frame(pairs, names=["scope_id", "month"])


def _all_months(ds: Dataset) -> list[pd.Period]:
    return month_range(
        ds["opportunities"]["created_at"].min().to_period("M"), ds.latest_complete_month
    )


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


def shared_kpi_table(ds: Dataset, level: Level) -> pd.DataFrame | None:
    """`level`'s KPI table over all the dataset's months, computed once per dataset content.

    Kept in memory and in the on-disk cache (`analysis.cache`, keyed by the content hash, the
    tables present and the package code), so the batch computes it before fanning out and each
    report's kernel only reads it. None for a dataset without a content hash: one cut as of a
    date (`asof.as_of`) or built in memory, which is computed directly every time. A dataset with
    a content hash is treated as read-only. Do not modify the returned frame.
    """
    if not ds.content_hash:
        return None
    key = (ds.content_hash, ",".join(sorted(ds.tables)), level)
    if key not in _SHARED:
        while len(_SHARED) >= _SHARED_KEEP:
            _SHARED.pop(next(iter(_SHARED)))
        _SHARED[key] = cache.memo("kpis", key, lambda: _kpi_table(ds, _all_months(ds), level))
    return _SHARED[key]


def _kpi_table(ds: Dataset, months: Sequence[pd.Period], level: Level) -> pd.DataFrame:
    sc = _Scope(ds, level)
    ords = np.array(sorted({pd.Period(m, "M").ordinal for m in months}), dtype="int64")
    active = _active_rep_months(ds, ords)
    cols: dict[str, pd.Series] = {}
    cols.update(_opportunity_kpis(ds, ords, sc))
    cols.update(_event_kpis(ds, ords, sc))
    if ds.has("accounts"):
        cols.update(_account_kpis(ds, ords, sc))
    cols.update(_people_kpis(ds, ords, sc, active))

    grid = _grid(ds, ords, sc, active)
    missing = missing_kpis(ds)
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
        frame[name] = _ratio(frame["revenue"], pd.Series(before, index=grid)) - 1
    frame["quota_attainment"] = _ratio(frame["revenue"], frame["quota"])
    frame["win_rate"] = _ratio(frame["deals_won"], frame["deals_won"] + frame["deals_lost"])
    frame["avg_deal_size"] = _ratio(frame["revenue"], frame["deals_won"])
    cycle = frame["avg_sales_cycle_days"]
    frame["pipeline_velocity"] = (
        frame["open_opportunities"]
        * frame["win_rate"]
        * frame["avg_deal_size"]
        / cycle.where(cycle > 0)
    )
    frame["deals_won_per_rep"] = _ratio(frame["deals_won"], frame["_active_reps"])
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
    table = kpi_table(ds, [month], level=level)
    row = table[table["scope_id"].eq(scope_id)]
    if row.empty:  # a rep neither active nor closing anything that month
        return {
            k: (0 if k in _ZERO_WHEN_EMPTY and k not in missing_kpis(ds) else None) for k in KPIS
        }
    values = row.iloc[0]
    return {k: _plain(values[k]) for k in KPIS}


def _plain(value) -> float | int | None:
    if value is None or pd.isna(value) or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, np.integer | int):
        return int(value)
    return float(value)
