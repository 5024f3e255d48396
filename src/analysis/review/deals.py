"""The deals behind a month's result: why deals were lost, the biggest deals won, lost and
slipped, and how much of the revenue depends on one rep.

Every function takes a dataset, a month and a scope (a team id, or None for the company) and
returns a plain DataFrame or dict; the report views only translate and format them. A deal's
month is the calendar month of its `closed_at` in the dataset's local time, as in the KPI engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data import engine
from analysis.data.dataset import Dataset
from analysis.data.scoped import scoped
from analysis.metrics.asof import known_from, latest_before
from analysis.metrics.kpis import scope_reps
from analysis.months import month_start, next_month_start

__all__ = [
    "NO_REASON",
    "CONCENTRATION_MONTHS",
    "scope_deals",
    "loss_reasons",
    "lost_before",
    "company_losses",
    "biggest_deals",
    "slipped_deals",
    "concentration",
    "quota_ahead",
    "aged_open_deals",
]

NO_REASON = "(no reason given)"  # a lost deal whose loss_reason is empty
CONCENTRATION_MONTHS = 3  # revenue concentration is measured over the month and the two before
TREND_MONTHS = 3  # loss reasons of this month are compared with the three months before


LOST_BEFORE_MONTHS = 3  # the brief's "lost this month against the months before"
# A review of month M reads of a table left on disk only what it can need: the deals closed from
# the start of M - REVIEW_MONTHS on or still open, and their snapshots from then on with the one
# before (`data.scoped.window_rule`). The 300-team benchmark company's 5 million deals and
# 20 million snapshots, read whole, held 2.5 GB of the company report's kernel.
REVIEW_MONTHS = max(TREND_MONTHS, CONCENTRATION_MONTHS, LOST_BEFORE_MONTHS)


def scope_deals(ds: Dataset, team: str | None, since: pd.Timestamp | None = None) -> pd.DataFrame:
    """The scope's opportunities with the rep's name and team (all deals for the company). In a
    table still on disk, read in DuckDB (`data.scoped`): a team's deals alone, and with `since`
    only those still open or closed from then on; the company's whole without `since`."""
    reps = scope_reps(ds, team)[["rep_id", "rep_name", "team_id"]]
    return _team_rows(ds, team, "opportunities", reps, since).merge(reps, on="rep_id", how="inner")


def _since(month: pd.Period, months: int = REVIEW_MONTHS) -> pd.Timestamp:
    return month_start(month - max(months, REVIEW_MONTHS))


_READ: dict[tuple, pd.DataFrame] = {}  # the last reads of a dataset on disk (`_team_rows`)


def _team_rows(
    ds: Dataset, team: str | None, name: str, reps: pd.DataFrame, since=None
) -> pd.DataFrame:
    """Table `name` whole when it is in memory, or for the company without `since`; else the
    scope's rows from `since` on (`data.scoped`), read once per dataset content, scope and window
    (the review's functions each ask for the same rows)."""
    if ds.tables.loaded(name) is not None or (team is None and since is None):
        return ds[name]
    key = (ds.content_hash, name, team, str(since))
    if key in _READ and ds.content_hash:
        return _READ[key]
    rows = scoped(ds, set(reps["rep_id"]), [name], since=since)[name]
    if ds.content_hash:
        while len(_READ) >= 2:  # the deals and the snapshots of one scope and window
            _READ.pop(next(iter(_READ)))
        _READ[key] = rows
    return rows


def _snapshots(ds: Dataset, team: str | None, since: pd.Timestamp | None = None) -> pd.DataFrame:
    """The snapshots (t for snapshot_date) of the scope's deals, or of every deal; with `since`,
    those of the deals `scope_deals` reads, from `since` on and the one before."""
    reps = scope_reps(ds, team)[["rep_id"]]
    snaps = _team_rows(ds, team, "opportunity_snapshots", reps, since)
    return snaps.rename(columns={"snapshot_date": "t"})


def _first_close(ds: Dataset, deals: pd.DataFrame, team: str | None) -> pd.Timestamp | None:
    """The scope's earliest close: of `deals` when they are the whole table, else (a window of
    a table on disk) counted in DuckDB over the file."""
    if ds.tables.loaded("opportunities") is not None:
        closed = deals["closed_at"].dropna()
        return None if closed.empty else closed.min()
    con = engine.connect(ds, ["opportunities"])
    try:
        engine.register_ids(con, "_scope", "rep_id", scope_reps(ds, team)["rep_id"])
        (first,) = con.execute(
            "SELECT min(closed_at) FROM opportunities SEMI JOIN _scope USING (rep_id)"
        ).fetchone()
    finally:
        con.close()
    return None if first is None else pd.Timestamp(first)


def _closed_in(deals: pd.DataFrame, stage: str, months: list[pd.Period]) -> pd.DataFrame:
    closed = deals[deals["stage"].eq(stage) & deals["closed_at"].notna()]
    return closed[closed["closed_at"].dt.to_period("M").isin(months)]


def _reasons(lost: pd.DataFrame) -> pd.Series:
    """Each lost deal's reason as written, `NO_REASON` where it is empty."""
    reason = lost["loss_reason"].fillna(NO_REASON).astype(str).str.strip()
    return reason.mask(reason.eq(""), NO_REASON)


def loss_reasons(ds: Dataset, month: pd.Period, team: str | None = None) -> pd.DataFrame:
    """Deals lost in `month` by reason: count and value for the scope, the reason's share of the
    scope's lost value, the same share over the `TREND_MONTHS` months before, and (for a team)
    the company's share this month. Sorted by value, largest first; an empty reason counts as
    `NO_REASON`. Columns: reason, deals, amount, share, share_before, company_share."""
    before = list(pd.period_range(month - TREND_MONTHS, month - 1, freq="M"))
    own = scope_deals(ds, team, _since(month))
    now, earlier = _by_reason(own, [month]), _by_reason(own, before)
    company = company_losses(ds, month) if team is not None else now
    out = pd.DataFrame(
        {
            "reason": now.index.astype(str),
            "deals": now["count"].astype("int64").to_numpy(),
            "amount": now["sum"].to_numpy(dtype=float),
            "share": now["share"].to_numpy(dtype=float),
        }
    )
    out["share_before"] = out["reason"].map(earlier["share"]).fillna(0.0)
    if earlier.empty:
        out["share_before"] = np.nan
    out["company_share"] = out["reason"].map(company["share"]).fillna(0.0)
    return out.sort_values(["amount", "reason"], ascending=[False, True], ignore_index=True)


def company_losses(ds: Dataset, month: pd.Period) -> pd.DataFrame:
    """The company's deals lost in `month` by reason (count, sum, share), as `loss_reasons`
    counts them; summed in DuckDB when the deals are still on disk (then only the reasons as
    written reach pandas, one row each, and are read as `_reasons` reads them)."""
    if ds.tables.loaded("opportunities") is not None:
        return _by_reason(scope_deals(ds, None), [month])
    con = engine.connect(ds, ["opportunities", "reps"])
    try:
        raw = con.execute(f"""
            SELECT o.loss_reason, count(*) AS count, sum(o.amount) AS sum
            FROM opportunities o SEMI JOIN reps r ON r.rep_id = o.rep_id
            WHERE o.stage = 'closed_lost' AND month_ord(o.closed_at) = {month.ordinal}
            GROUP BY ALL""").df()
    finally:
        con.close()
    return _with_share(raw.assign(reason=_reasons(raw)).groupby("reason")[["count", "sum"]].sum())


def _by_reason(deals: pd.DataFrame, months: list[pd.Period]) -> pd.DataFrame:
    """Deals lost in `months` by reason: count, sum and share of the lost value."""
    lost = _closed_in(deals, "closed_lost", months)
    return _with_share(
        lost.assign(reason=_reasons(lost)).groupby("reason")["amount"].agg(["count", "sum"])
    )


def _with_share(g: pd.DataFrame) -> pd.DataFrame:
    total = g["sum"].sum()
    g["share"] = g["sum"] / total if total > 0 else np.nan
    return g


def lost_before(
    ds: Dataset, month: pd.Period, team: str | None = None, months: int = LOST_BEFORE_MONTHS
):
    """The mean value lost per month over the `months` months before `month` (months without a
    loss count as 0); None when the scope has no deal closed before them (no history)."""
    deals = scope_deals(ds, team, _since(month, months))
    first = month - months
    earliest = _first_close(ds, deals, team)
    if earliest is None or earliest.to_period("M") > first:
        return None
    before = list(pd.period_range(first, month - 1, freq="M"))
    return float(_closed_in(deals, "closed_lost", before)["amount"].sum()) / months


def _account_names(ds: Dataset, ids: pd.Series) -> pd.Series:
    if not ds.has("accounts"):
        return pd.Series(np.nan, index=ids.index, dtype=object)
    names = ds["accounts"].set_index("account_id")["account_name"]
    return ids.map(names)


def biggest_deals(
    ds: Dataset, month: pd.Period, team: str | None = None, n: int = 5, *, slipped=...
) -> dict[str, pd.DataFrame]:
    """The `n` largest deals won and lost in `month`, and the `n` largest that slipped out of it
    (see `slipped_deals`), each largest first. Columns: opportunity_id, rep_name, team_id,
    account_name, product, deal_type, amount, then stage and loss_reason (lost) or
    expected_close_then, expected_close_now and stage_now (slipped). An empty loss reason reads
    `NO_REASON`, as in `loss_reasons`. `slipped`: the month's `slipped_deals` when the caller
    already has them (computed here otherwise)."""
    deals = scope_deals(ds, team, _since(month))
    cols = ["opportunity_id", "rep_name", "team_id", "account_name", "product", "deal_type"]
    out = {}
    for kind, stage in (("won", "closed_won"), ("lost", "closed_lost")):
        d = _closed_in(deals, stage, [month])
        d = d.assign(account_name=_account_names(ds, d["account_id"]))
        if kind == "lost":
            d = d.assign(loss_reason=_reasons(d))
        d = d.sort_values(["amount", "opportunity_id"], ascending=[False, True]).head(n)
        extra = ["loss_reason"] if kind == "lost" else []
        out[kind] = d[[*cols, "amount", *extra]].reset_index(drop=True)
    if slipped is ...:
        slipped = slipped_deals(ds, month, team)
    out["slipped"] = None if slipped is None else slipped.head(n)
    return out


def slipped_deals(ds: Dataset, month: pd.Period, team: str | None = None) -> pd.DataFrame | None:
    """Deals that slipped out of `month`: open at its start with an expected close date in the
    month (as the latest snapshot on or before the first day recorded it), and still open at its
    end. Amount and dates as the snapshots recorded them; `expected_close_now` is the close date
    the latest snapshot before the month's end gave (or the current one when none). Largest
    first. None when the dataset has no `opportunity_snapshots`: without them what a deal was
    expected to do is not known, and today's close dates would be hindsight."""
    if not ds.has("opportunity_snapshots"):
        return None
    snaps = _snapshots(ds, team, _since(month))
    start, end = month_start(month), next_month_start(month)
    deals = scope_deals(ds, team, _since(month))
    known = known_from(ds, deals)
    open_start = deals[
        (known < start) & (deals["closed_at"].isna() | (deals["closed_at"] >= start))
    ].reset_index(drop=True)
    at_start = pd.Series(start, index=open_start.index)
    expected = latest_before(snaps, "expected_close_date", open_start["opportunity_id"], at_start)
    amount = latest_before(snaps, "amount", open_start["opportunity_id"], at_start)
    due = pd.to_datetime(expected).dt.to_period("M").eq(month).to_numpy()
    still_open = (open_start["closed_at"].isna() | (open_start["closed_at"] >= end)).to_numpy()
    keep = due & still_open
    d = open_start[keep].reset_index(drop=True)
    at_end = pd.Series(end - pd.Timedelta(microseconds=1), index=d.index)
    later = latest_before(snaps, "expected_close_date", d["opportunity_id"], at_end)
    stage = latest_before(snaps, "stage", d["opportunity_id"], at_end)
    out = pd.DataFrame(
        {
            "opportunity_id": d["opportunity_id"],
            "rep_name": d["rep_name"],
            "team_id": d["team_id"],
            "account_name": _account_names(ds, d["account_id"]),
            "product": d["product"],
            "deal_type": d["deal_type"],
            "amount": amount[keep].to_numpy(dtype=float),
            "expected_close_then": pd.to_datetime(expected[keep].to_numpy()),
            "expected_close_now": pd.to_datetime(later.to_numpy()),
            "stage_now": stage.to_numpy(dtype=object),
        }
    )
    return out.sort_values(["amount", "opportunity_id"], ascending=[False, True], ignore_index=True)


def concentration(ds: Dataset, month: pd.Period, team: str | None = None) -> dict:
    """How much of the scope's won revenue over the `CONCENTRATION_MONTHS` months ending with
    `month` came from its top rep: top_rep (name), top_share, reps (with any won revenue),
    reps_for_half (the fewest reps whose revenue makes half of the total), revenue (total).
    Shares are None when nothing was won."""
    months = list(pd.period_range(month - (CONCENTRATION_MONTHS - 1), month, freq="M"))
    won = _closed_in(scope_deals(ds, team, _since(month)), "closed_won", months)
    # by rep id (two reps may share a name), largest first, ties by id
    per_rep = won.groupby("rep_id")["amount"].sum()
    per_rep = per_rep[per_rep > 0].sort_index().sort_values(ascending=False, kind="stable")
    names = won.drop_duplicates("rep_id").set_index("rep_id")["rep_name"]
    total = float(per_rep.sum())
    out = {
        "months": [str(m) for m in months],
        "revenue": total,
        "reps": int(len(per_rep)),
        "top_rep": None,
        "top_share": None,
        "reps_for_half": None,
    }
    if total > 0:
        cumulative = per_rep.cumsum() / total
        out.update(
            top_rep=str(names[per_rep.index[0]]),
            top_share=float(per_rep.iloc[0] / total),
            reps_for_half=int((cumulative < 0.5).sum() + 1),
        )
    return out


def quota_ahead(ds: Dataset, month: pd.Period, team: str | None = None, months: int = 3):
    """The scope's quota of the `months` months after `month` (the denominator of pipeline
    coverage); None when the dataset has no quotas for them."""
    if not ds.has("quotas"):
        return None
    reps = scope_reps(ds, team)["rep_id"]
    q = ds["quotas"]
    ahead = pd.period_range(month + 1, month + months, freq="M").astype(str)
    sel = q[q["rep_id"].isin(reps) & q["month"].astype(str).isin(ahead)]
    total = float(sel["quota_amount"].sum())
    return total if len(sel) and total > 0 else None


def aged_open_deals(ds: Dataset, month: pd.Period, team: str | None, days: float) -> dict:
    """Deals open at the end of `month` that were created more than `days` days before it:
    deals, amount (as the latest snapshot before the month's end recorded it, else the current
    amount) and days."""
    end = next_month_start(month)
    deals = scope_deals(ds, team, _since(month))
    open_end = deals[
        (deals["created_at"] < end) & (deals["closed_at"].isna() | (deals["closed_at"] >= end))
    ]
    old = open_end[(end - open_end["created_at"]).dt.days > days].reset_index(drop=True)
    amount = old["amount"].astype(float)
    if ds.has("opportunity_snapshots") and len(old):
        snaps = _snapshots(ds, team, _since(month))
        seen = latest_before(
            snaps, "amount", old["opportunity_id"], pd.Series(end, index=old.index)
        )
        amount = seen.astype(float).fillna(amount)
    return {"deals": int(len(old)), "amount": float(amount.sum()), "days": float(days)}
