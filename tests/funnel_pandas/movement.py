"""Pipeline movement: the waterfall from start to end of the month (created, reopened,
increased, decreased, won, lost and what the records leave unexplained), slipped and pulled-in
close dates, and the pipeline's health."""

from __future__ import annotations

import pandas as pd

from analysis.data.contract import OPEN_STAGES
from analysis.metrics.kpis import kpis_for, open_pipeline
from analysis.months import month_start
from funnel_pandas.inputs import DAY, FunnelData, previous_stage

__all__ = ["waterfall", "slippage", "pipeline_health"]


def waterfall(fd: FunnelData) -> dict:
    """Pipeline movement in the month, each term measured on its own:

        open_start + created + reopened + increased - decreased - won - lost + unexplained
            = open_end

    - open_start/open_end: the open pipeline at the start/end of the month (the KPI
      open_pipeline_amount of the previous/this month, one implementation), each deal valued as
      the latest snapshot before that instant recorded it (else its current amount).
    - created: deals created in the month, at their first snapshot (else current amount).
    - reopened: deals closed at the start that were reopened in the month (their stage history
      shows the return), at their first snapshot after reopening (else current amount). None
      without a stage history (a reopening is then not known, and such a deal is unexplained).
    - won/lost: the closings that stood at the end of the month (`metrics.sql.closings_sql`), at
      the deal's amount.
    - increased/decreased: the amount changes the snapshots recorded during the month, deal by deal,
      from the value each deal entered the month with (start, creation or reopening) to its last
      snapshot before the end or before it closed. None without snapshots (nothing records a
      change).
    - unexplained: what is left. Zero when the records agree; not zero when they do not, e.g. a
      deal closed at an amount no snapshot recorded while it was open, a deal that left the open
      pipeline without a closing (deleted, or moved to another team's rep), or one that appeared
      in it without being created or reopened. n_unexplained counts the deals involved.

    The open pipeline has no close-date window (every open deal counts, whatever its expected
    close), so a close-date change moves no value in or out of it: `slipped` (deals expected to
    close this month, at the start or when they entered, still open at the end with a later date)
    and `pulled_in` (expected later, won this month or now due this month) show value moving in
    time, outside the balance. Both need snapshots.
    """
    m = fd.month
    rows = open_pipeline(fd.pipeline_source, [m - 1, m], rep_ids=fd.rep_ids)
    start = rows[rows["month"].eq(m - 1)].set_index("opportunity_id")
    end = rows[rows["month"].eq(m)].set_index("opportunity_id")
    o = fd.opps.set_index("opportunity_id")
    created = o[(o["created_at"] >= fd.start) & (o["created_at"] < fd.end)]
    closed = o[o["closed_at"].notna() & (o["closed_at"] >= fd.start) & (o["closed_at"] < fd.end)]
    reopen_at = _reopened_in(fd)
    came = end.index.union(closed.index).difference(start.index.union(created.index))
    reopened_ids = came.intersection(reopen_at.index)
    has_snaps = fd.snapshots is not None and not fd.snapshots.empty
    snaps = (
        fd.snapshots[
            (fd.snapshots["snapshot_date"] >= fd.start) & (fd.snapshots["snapshot_date"] < fd.end)
        ].sort_values(["opportunity_id", "snapshot_date"], kind="stable")
        if has_snaps
        else pd.DataFrame(columns=["opportunity_id", "snapshot_date", "amount"])
    )
    # the value each deal entered the month with, and when it entered (after which snapshots
    # record its changes)
    entered_at = pd.concat(
        [
            pd.Series(fd.start, index=start.index),
            created["created_at"],
            reopen_at.reindex(reopened_ids),
        ]
    )
    entered_at = entered_at[~entered_at.index.duplicated()]
    since = pd.DataFrame(
        {
            "opportunity_id": entered_at.index.astype(str),
            "since": pd.to_datetime(entered_at.to_numpy()),
        }
    )
    seen = snaps.astype({"opportunity_id": str}).merge(since, on="opportunity_id")
    seen = seen[seen["snapshot_date"] >= seen["since"]]
    first_seen = seen.groupby("opportunity_id")["amount"].first()
    created_value = first_seen.reindex(created.index).fillna(created["amount"])
    reopened_value = first_seen.reindex(reopened_ids).fillna(o["amount"].reindex(reopened_ids))
    begin = pd.concat([start["amount"], created_value, reopened_value])
    begin = begin[~begin.index.duplicated()]
    # recorded changes: consecutive values from the entry value through the month's snapshots
    # (a closed deal's snapshots stop when it closes)
    path = pd.concat(
        [
            begin.rename("amount").rename_axis("opportunity_id").reset_index().assign(k=0),
            seen[["opportunity_id", "amount"]].assign(k=1),
        ],
        ignore_index=True,
    ).sort_values(["opportunity_id", "k"], kind="stable")
    step = path.groupby("opportunity_id")["amount"].diff().dropna()
    won = closed["stage"].eq("closed_won")
    result = {
        "open_start": float(start["amount"].sum()),
        "created": float(created_value.sum()),
        "reopened": float(reopened_value.sum()) if fd.history is not None else None,
        "increased": float(step[step > 0].sum()) if has_snaps else None,
        "decreased": float(-step[step < 0].sum()) if has_snaps else None,
        "won": float(closed.loc[won, "amount"].sum()),
        "lost": float(closed.loc[~won, "amount"].sum()),
        "open_end": float(end["amount"].sum()),
        "slipped": None,
        "pulled_in": None,
        "n_start": int(len(start)),
        "n_created": int(len(created)),
        "n_reopened": int(len(reopened_ids)) if fd.history is not None else None,
        "n_won": int(won.sum()),
        "n_lost": int((~won).sum()),
        "n_end": int(len(end)),
        "has_snapshots": has_snaps,
    }
    incr, decr = result["increased"] or 0.0, result["decreased"] or 0.0
    result["unexplained"] = (
        result["open_end"]
        - result["open_start"]
        - result["created"]
        - (result["reopened"] or 0.0)
        - incr
        + decr
        + result["won"]
        + result["lost"]
    )
    # the deals whose records disagree: each one's own balance
    last = path.groupby("opportunity_id")["amount"].last()
    finish = pd.concat([end["amount"], closed["amount"]])
    finish = finish[~finish.index.duplicated()]
    deals = begin.index.union(finish.index)
    own = finish.reindex(deals).fillna(0) - last.reindex(deals).fillna(0)
    result["n_unexplained"] = int((own.abs() >= 0.5).sum())
    if has_snaps:
        came = created.index.union(reopened_ids)  # entered the month after its start
        result |= _timing(m, start, end, closed, o.reindex(came), seen, finish)
    return result


def _timing(m, start, end, closed, came, seen, finish) -> dict:
    """Slipped and pulled-in value (from the snapshots): the deals expected to close this month
    when they entered it (at the start, or at their first snapshot after creation or reopening:
    `seen`, the month's snapshots from each deal's entry) and still open at its end with a later
    date, and those expected later that were won this month or are now due in it."""
    first = seen.groupby("opportunity_id")["expected_close_date"].first()
    entry_due = pd.concat(
        [
            start["expected_close_month"],
            first.reindex(came.index)
            .dt.to_period("M")
            .fillna(came["expected_close_date"].dt.to_period("M")),
        ]
    )
    due_end = end["expected_close_month"]
    slipped = entry_due[entry_due.eq(m)].index.intersection(due_end[due_end > m].index)
    won_ids = closed.index[closed["stage"].eq("closed_won")]
    later = entry_due[entry_due > m].index
    pulled = later.intersection(won_ids.union(due_end[due_end.eq(m)].index))
    return {
        "slipped": float(end["amount"].reindex(slipped).sum()),
        "n_slipped": int(len(slipped)),
        "pulled_in": float(finish.reindex(pulled).sum()),
        "n_pulled_in": int(len(pulled)),
    }


def _reopened_in(fd: FunnelData) -> pd.Series:
    """When each deal that was closed was reopened during the month (its first return to an
    open stage in the month after a closed one), from the stage history; empty without it."""
    h = fd.history
    if h is None or h.empty:
        return pd.Series(dtype="datetime64[us]")
    prev = previous_stage(fd)
    back = h[
        h["stage"].isin(OPEN_STAGES)
        & prev.isin(("closed_won", "closed_lost"))
        & (h["entered_at"] >= fd.start)
        & (h["entered_at"] < fd.end)
    ]
    return back.groupby("opportunity_id")["entered_at"].first()


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
