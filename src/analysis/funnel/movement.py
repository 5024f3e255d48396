"""Pipeline movement: the waterfall from start to end of the month (created, increased,
decreased, won, lost), slipped and pulled-in close dates, and the pipeline's health."""

from __future__ import annotations

import pandas as pd

from analysis.funnel.inputs import DAY, FunnelData
from analysis.metrics.kpis import kpis_for, open_pipeline
from analysis.months import month_start

__all__ = ["waterfall", "slippage", "pipeline_health"]


def waterfall(fd: FunnelData) -> dict:
    """Pipeline movement in the month, balancing to the currency unit:

        open_start + created + increased - decreased - won - lost = open_end

    open_start/open_end are the open pipeline at the start/end of the month (the KPI
    open_pipeline_amount of the previous/this month, one implementation). Each deal is valued at
    the start (or at creation) and at the end (or at close); increased/decreased are the changes in
    between. Without opportunity_snapshots, amounts are the current ones, so increased and
    decreased are 0 and reported as None. With snapshots, `slipped` is the amount of deals expected
    to close this month (at the start or when created) that are still open at the end with a later
    date, and `pulled_in` the amount expected later that was won this month or is now due this
    month; both move value in time, not in or out of the pipeline, so they are not in the balance.
    """
    m = fd.month
    rows = open_pipeline(fd.ds, [m - 1, m])
    rows = rows[rows["rep_id"].isin(fd.rep_ids)]
    start = rows[rows["month"].eq(m - 1)].set_index("opportunity_id")
    end = rows[rows["month"].eq(m)].set_index("opportunity_id")
    o = fd.opps.set_index("opportunity_id")
    created = o[(o["created_at"] >= fd.start) & (o["created_at"] < fd.end)]
    closed = o[o["closed_at"].notna() & (o["closed_at"] >= fd.start) & (o["closed_at"] < fd.end)]
    has_snaps = fd.snapshots is not None and not fd.snapshots.empty
    first = (
        fd.snapshots.sort_values("snapshot_date").groupby("opportunity_id").first()
        if has_snaps
        else pd.DataFrame(columns=["amount", "expected_close_date"])
    )
    created_value = first["amount"].reindex(created.index).fillna(created["amount"])
    begin = pd.concat([start["amount"], created_value])
    finish = pd.concat([end["amount"], closed["amount"]])
    deals = begin.index.union(finish.index)
    delta = finish.reindex(deals).fillna(0) - begin.reindex(deals).fillna(0)
    # a deal in `begin` is either open at the end or closed this month, so delta is its change
    result = {
        "open_start": float(start["amount"].sum()),
        "created": float(created_value.sum()),
        "increased": float(delta[delta > 0].sum()) if has_snaps else None,
        "decreased": float(-delta[delta < 0].sum()) if has_snaps else None,
        "won": float(closed.loc[closed["stage"].eq("closed_won"), "amount"].sum()),
        "lost": float(closed.loc[closed["stage"].eq("closed_lost"), "amount"].sum()),
        "open_end": float(end["amount"].sum()),
        "slipped": None,
        "pulled_in": None,
        "n_start": int(len(start)),
        "n_created": int(len(created)),
        "n_won": int(closed["stage"].eq("closed_won").sum()),
        "n_lost": int(closed["stage"].eq("closed_lost").sum()),
        "n_end": int(len(end)),
        "has_snapshots": has_snaps,
    }
    if has_snaps:
        created_due = first["expected_close_date"].reindex(created.index).dt.to_period("M")
        due_begin = pd.concat(
            [
                start["expected_close_month"],
                created_due.fillna(created["expected_close_date"].dt.to_period("M")),
            ]
        )
        due_end = end["expected_close_month"]
        slipped = due_begin[due_begin.eq(m)].index.intersection(due_end[due_end > m].index)
        won_ids = closed.index[closed["stage"].eq("closed_won")]
        later = due_begin[due_begin > m].index
        pulled = later.intersection(won_ids.union(due_end[due_end.eq(m)].index))
        result["slipped"] = float(end["amount"].reindex(slipped).sum())
        result["n_slipped"] = int(len(slipped))
        result["pulled_in"] = float(finish.reindex(pulled).sum())
        result["n_pulled_in"] = int(len(pulled))
    incr, decr = result["increased"] or 0.0, result["decreased"] or 0.0
    result["balance_gap"] = (
        result["open_start"]
        + result["created"]
        + incr
        - decr
        - result["won"]
        - result["lost"]
        - result["open_end"]
    )
    return result


def slippage(fd: FunnelData, months: int = 3) -> pd.DataFrame:
    """Close-date pushes per rep over the last `months` months, from consecutive snapshots.

    Columns: rep_id, open_deals (deals with a snapshot in the window), deals_pushed, pushes,
    push_rate (deals_pushed / open_deals), avg_push_days. Empty without snapshots.
    """
    cols = ["rep_id", "open_deals", "deals_pushed", "pushes", "push_rate", "avg_push_days"]
    if fd.snapshots is None or fd.snapshots.empty:
        return pd.DataFrame(columns=cols)
    s = fd.snapshots.sort_values(["opportunity_id", "snapshot_date"], kind="stable")
    s = s.assign(prev=s.groupby("opportunity_id")["expected_close_date"].shift(1))
    s = s[s["snapshot_date"] >= month_start(fd.month - (months - 1))]
    s = s.assign(
        rep_id=s["opportunity_id"].map(fd.opps.set_index("opportunity_id")["rep_id"]),
        push_days=(s["expected_close_date"] - s["prev"]) / DAY,
    )
    pushed = s[s["push_days"] > 0]
    out = pd.DataFrame({"open_deals": s.groupby("rep_id")["opportunity_id"].nunique()})
    out["deals_pushed"] = pushed.groupby("rep_id")["opportunity_id"].nunique()
    out["pushes"] = pushed.groupby("rep_id").size()
    out["avg_push_days"] = pushed.groupby("rep_id")["push_days"].mean()
    out[["deals_pushed", "pushes"]] = out[["deals_pushed", "pushes"]].fillna(0).astype(int)
    out["push_rate"] = out["deals_pushed"] / out["open_deals"]
    return out.reset_index()[cols].sort_values("push_rate", ascending=False, ignore_index=True)


def pipeline_health(fd: FunnelData) -> dict:
    """Coverage and velocity for the month, from the KPI module (one implementation)."""
    values = kpis_for(fd.ds, fd.month, team=fd.team)
    keys = (
        "open_pipeline_amount",
        "open_opportunities",
        "pipeline_coverage",
        "pipeline_velocity",
        "win_rate",
        "avg_deal_size",
        "avg_sales_cycle_days",
    )
    out = {k: values[k] for k in keys}
    out["required_coverage"] = None if not values["win_rate"] else 1 / values["win_rate"]
    return out
